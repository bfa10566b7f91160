//! Kubernetes resource quantities (`16`, `1000m`, `512Gi`) read as plain numbers in base units.

/// The value of a quantity in base units (cores for cpu, bytes for memory, counts for devices), or
/// `None` when the text is not a quantity.
pub fn parse_quantity(text: &str) -> Option<f64> {
    crate::k8s::quantity_value(text.trim()).filter(|value| *value >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::parse_quantity;

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("16"), Some(16.0));
        assert_eq!(parse_quantity("1500m"), Some(1.5));
        assert_eq!(parse_quantity("2Gi"), Some(2147483648.0));
        assert_eq!(parse_quantity("lots"), None);
        assert_eq!(parse_quantity("-1"), None);
    }
}
