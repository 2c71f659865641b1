//! IMEIs from a file: a plain list, or a CSV export from a spreadsheet or from ThingSpace, of
//! which only the IMEI column is taken.

/// Header names, compared without case, spaces, `_` or `-`, that mark the IMEI column, the
/// most telling first: a table with both `id` and `IMEI` columns gives its `IMEI` column.
const IMEI_HEADERS: [&str; 5] = ["imei", "deviceid", "imeinumber", "deviceimei", "id"];

/// What a file gives the IMEI field.
#[derive(Debug, PartialEq, Eq)]
pub struct Imported {
    /// One entry per line, for the IMEI field's own parser.
    pub text: String,
    /// The header of the column taken, when the file was a table.
    pub column: Option<String>,
}

impl Imported {
    /// The non-blank lines the field receives.
    pub fn lines(&self) -> usize {
        self.text.lines().filter(|l| !l.trim().is_empty()).count()
    }
}

/// Takes the IMEI column of a table with a header line; any other text is kept as it is, and
/// the IMEI field's parser reports what is not an IMEI.
pub fn extract(text: &str) -> Imported {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return plain(text);
    };
    let Some(delimiter) = [',', ';', '\t'].into_iter().find(|d| header.contains(*d)) else {
        return plain(text);
    };
    let names = fields(header, delimiter);
    let Some((column, _)) = names
        .iter()
        .map(|name| header_rank(name))
        .enumerate()
        .min_by_key(|&(_, rank)| rank)
        .filter(|&(_, rank)| rank < IMEI_HEADERS.len())
    else {
        return plain(text);
    };
    let mut out = String::with_capacity(text.len() / names.len().max(1) + 16);
    for line in lines {
        if let Some(value) = fields(line, delimiter).into_iter().nth(column) {
            if !value.is_empty() {
                out.push_str(&value);
                out.push('\n');
            }
        }
    }
    Imported {
        text: out,
        column: Some(names[column].clone()),
    }
}

fn plain(text: &str) -> Imported {
    Imported {
        text: text.to_owned(),
        column: None,
    }
}

/// Where `name` stands in [`IMEI_HEADERS`]; past its end when it is not an IMEI header.
fn header_rank(name: &str) -> usize {
    let key: String = name
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    IMEI_HEADERS
        .iter()
        .position(|h| *h == key)
        .unwrap_or(IMEI_HEADERS.len())
}

/// The fields of one CSV line, unquoted (`"a ""b"""` is `a "b"`) and trimmed.
fn fields(line: &str, delimiter: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if field.trim().is_empty() => {
                field.clear();
                quoted = true;
            }
            c if c == delimiter && !quoted => {
                out.push(std::mem::take(&mut field).trim().to_owned())
            }
            c => field.push(c),
        }
    }
    out.push(field.trim().to_owned());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_list_is_kept_as_it_is() {
        let text = "990000862471854\n356938035643809, 490154203237518\nnot-an-imei\n";
        assert_eq!(
            extract(text),
            Imported {
                text: text.into(),
                column: None
            }
        );
    }

    #[test]
    fn the_imei_column_of_a_table_is_taken() {
        let text = "Name,IMEI,Notes\r\nTruck 1,990000862471854,\"front, left\"\r\n\r\nTruck 2,356938035643809,\r\n";
        assert_eq!(
            extract(text),
            Imported {
                text: "990000862471854\n356938035643809\n".into(),
                column: Some("IMEI".into())
            }
        );
    }

    #[test]
    fn the_apps_own_export_reads_back() {
        let text = "\u{feff}IMEI,Status,Reason,Firmware version,Updated (UTC)\r\n\
                    990000862471854,Error,\"Server error, HTTP 503\",,\r\n";
        assert_eq!(extract(text).text, "990000862471854\n");
    }

    #[test]
    fn other_delimiters_quotes_and_header_spellings() {
        let semicolons = "\"Device ID\";Label\n\"990000862471854\";a\n356938035643809;b\n";
        assert_eq!(extract(semicolons).column.as_deref(), Some("Device ID"));
        assert_eq!(
            extract(semicolons).text,
            "990000862471854\n356938035643809\n"
        );
        let tabs = "label\tdevice_id\nx\t990000862471854\n";
        assert_eq!(extract(tabs).text, "990000862471854\n");
    }

    #[test]
    fn lines_counts_what_the_field_receives() {
        assert_eq!(extract("Name,IMEI\nx,990000862471854\ny,\n").lines(), 1);
        assert_eq!(extract("990000862471854\n\n  \n12345\n").lines(), 2);
        assert_eq!(extract("").lines(), 0);
    }

    #[test]
    fn the_most_telling_header_wins() {
        let text = "id,imei
7,990000862471854
";
        assert_eq!(
            extract(text).text,
            "990000862471854
"
        );
    }

    #[test]
    fn a_table_without_an_imei_column_is_kept_whole() {
        let text = "a,b\n1,2\n";
        assert_eq!(
            extract(text),
            Imported {
                text: text.into(),
                column: None
            }
        );
        assert_eq!(
            extract(""),
            Imported {
                text: String::new(),
                column: None
            }
        );
    }

    #[test]
    fn short_lines_and_odd_quotes_do_not_panic() {
        let text = "x,imei\nonly-one-field\n\"unterminated,990000862471854\n,356938035643809\n";
        assert_eq!(extract(text).text, "356938035643809\n");
    }
}
