//! Read-only reports written as HTML text and set as an element's `innerHTML` (results tables,
//! latency bands, the pods diagram). Such a report is rebuilt whole on every edit and has no inputs,
//! so it needs no reactive view per cell: one string writer is far less wasm than a view type per
//! row, cell and attribute. Markup is written by [`Html::raw`] from literals only; everything that
//! comes from the plan or from core goes through [`Html::text`], which escapes it, so a plan name
//! from a share link or an import stays text.

/// An HTML fragment being written.
#[derive(Default)]
pub struct Html(String);

impl Html {
    /// Markup from a literal: tags, attribute names, fixed text. Never data: `'static` keeps
    /// formatted text (a `String`) out, so data can only come in through [`Html::text`].
    pub fn raw(&mut self, markup: &'static str) -> &mut Html {
        self.0.push_str(markup);
        self
    }

    /// Text or an attribute value (inside `"…"`), escaped.
    pub fn text(&mut self, text: &str) -> &mut Html {
        for c in text.chars() {
            match c {
                '&' => self.0.push_str("&amp;"),
                '<' => self.0.push_str("&lt;"),
                '>' => self.0.push_str("&gt;"),
                '"' => self.0.push_str("&quot;"),
                c => self.0.push(c),
            }
        }
        self
    }

    pub fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Html;

    #[test]
    fn text_is_escaped_and_markup_is_not() {
        let mut h = Html::default();
        h.raw("<td title=\"").text("a\"b").raw("\">").text("<img src=x> & co").raw("</td>");
        assert_eq!(h.finish(), "<td title=\"a&quot;b\">&lt;img src=x&gt; &amp; co</td>");
    }
}
