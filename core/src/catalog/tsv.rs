//! A small reader for the catalog's tab-separated data files.
//!
//! Lines starting with `#` are comments (each file names its source there); the first other line is
//! the header. Cells are looked up by column name so that a reordered file still parses.

/// One parsed table: the header and its rows, borrowed from the embedded text.
pub(crate) struct Table<'a> {
    header: Vec<&'a str>,
    pub rows: Vec<Vec<&'a str>>,
}

impl<'a> Table<'a> {
    pub fn parse(text: &'a str) -> Table<'a> {
        let mut lines = text.lines().filter(|line| !line.starts_with('#') && !line.trim().is_empty());
        let header = lines.next().map(|h| h.split('\t').collect()).unwrap_or_default();
        let rows = lines.map(|line| line.split('\t').collect()).collect();
        Table { header, rows }
    }

    /// The index of a column; the embedded files are fixed, so a missing column is a build defect
    /// that the catalog tests catch.
    pub fn column(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("embedded catalog table lacks column {name}"))
    }

    pub fn cell<'r>(row: &'r [&'a str], index: usize) -> &'a str {
        row.get(index).copied().unwrap_or("").trim()
    }
}

pub(crate) fn parse_f64(cell: &str) -> Option<f64> {
    cell.parse().ok()
}

pub(crate) fn parse_u64(cell: &str) -> u64 {
    cell.parse().unwrap_or(0)
}
