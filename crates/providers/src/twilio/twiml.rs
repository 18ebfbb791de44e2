//! TwiML replies: one `<Message>` or nothing, and reading a reply back.

const XML_DECLARATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;
const MESSAGE_OPEN: &str = "<Response><Message>";
const MESSAGE_CLOSE: &str = "</Message></Response>";

/// TwiML: `<?xml version="1.0" encoding="UTF-8"?><Response><Message>TEXT</Message></Response>`
/// with XML escaping of `& < > " '`.
///
/// Characters XML 1.0 cannot carry at all (control characters other than
/// tab, line feed and carriage return; U+FFFE, U+FFFF) are left out, so the
/// document always parses.
pub fn twiml_message(text: &str) -> String {
    let mut xml = String::with_capacity(
        XML_DECLARATION.len() + MESSAGE_OPEN.len() + text.len() + text.len() / 4 + MESSAGE_CLOSE.len(),
    );
    xml.push_str(XML_DECLARATION);
    xml.push_str(MESSAGE_OPEN);
    push_escaped(&mut xml, text);
    xml.push_str(MESSAGE_CLOSE);
    xml
}

/// TwiML for no reply: `<?xml version="1.0" encoding="UTF-8"?><Response/>`.
pub fn twiml_empty() -> String {
    format!("{XML_DECLARATION}<Response/>")
}

/// Parse the text of a `<Message>` back out of TwiML we produced (used by the
/// CLI `send` to print what the sender would receive); returns `None` for
/// `<Response/>`. Unescapes the five named entities and numeric character
/// references. With several messages, the first one.
///
/// Also reads the SDK's rendering (`<Message>` with attributes, `<Message />`).
pub fn twiml_reply_text(xml: &str) -> Option<String> {
    let content_start = message_content_start(xml)?;
    let content = &xml[content_start..];
    if content.starts_with("/>") {
        return Some(String::new());
    }
    let content = content.strip_prefix('>')?;
    let end = content.find("</Message")?;
    Some(unescape(&content[..end]))
}

/// Where the tag `<Message` ends (at its `>` or `/>`), skipping attributes.
fn message_content_start(xml: &str) -> Option<usize> {
    let mut from = 0;
    loop {
        let tag = from + xml[from..].find("<Message")?;
        let after_name = tag + "<Message".len();
        match xml[after_name..].chars().next() {
            Some('>') => return Some(after_name),
            Some('/') => return Some(after_name),
            Some(c) if c.is_ascii_whitespace() => {
                let close = after_name + xml[after_name..].find('>')?;
                let self_closing = xml[..close].ends_with('/');
                return Some(if self_closing { close - 1 } else { close });
            }
            // `<MessageX`: another element; keep looking.
            Some(_) => from = after_name,
            None => return None,
        }
    }
}

pub(crate) fn push_escaped(xml: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => xml.push_str("&amp;"),
            '<' => xml.push_str("&lt;"),
            '>' => xml.push_str("&gt;"),
            '"' => xml.push_str("&quot;"),
            '\'' => xml.push_str("&apos;"),
            '\t' | '\n' | '\r' => xml.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {}
            _ => xml.push(c),
        }
    }
}

pub(crate) fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest.find(';').and_then(|semi| entity(&rest[1..semi]).map(|c| (c, semi + 1)));
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character an entity name (between `&` and `;`) stands for.
fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_is_wrapped_in_a_response_with_the_xml_declaration() {
        assert_eq!(
            twiml_message("Merci, je ne réponds pas ici."),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>Merci, je ne réponds pas ici.</Message></Response>"
        );
    }

    #[test]
    fn the_five_special_characters_are_escaped() {
        assert_eq!(
            twiml_message(r#"a & b < c > d "e" 'f'"#),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>a &amp; b &lt; c &gt; d &quot;e&quot; &apos;f&apos;</Message></Response>"
        );
    }

    #[test]
    fn markup_in_the_text_cannot_inject_elements() {
        let xml = twiml_message("</Message><Redirect>https://evil</Redirect><Message>");
        assert!(!xml.contains("<Redirect>"));
        assert_eq!(xml.matches("<Message>").count(), 1);
    }

    #[test]
    fn characters_xml_cannot_carry_are_dropped_but_newlines_kept() {
        assert_eq!(
            twiml_message("a\u{0}b\u{1b}c\td\r\ne\u{fffe}"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>abc\td\r\ne</Message></Response>"
        );
    }

    #[test]
    fn empty_reply_is_a_self_closed_response() {
        assert_eq!(twiml_empty(), "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
    }

    #[test]
    fn reply_text_round_trips_through_twiml() {
        for text in ["", "plain", r#"a & b < c > d "e" 'f' &amp;"#, "émoji 😀\nligne 2", "&;&x;&#;"] {
            assert_eq!(twiml_reply_text(&twiml_message(text)).as_deref(), Some(text));
        }
    }

    #[test]
    fn empty_response_has_no_reply_text() {
        assert_eq!(twiml_reply_text(&twiml_empty()), None);
        assert_eq!(twiml_reply_text("<Response />"), None);
        assert_eq!(twiml_reply_text("not xml"), None);
    }

    #[test]
    fn sdk_renderings_are_read_too() {
        let sdk = r#"<?xml version="1.0" encoding="UTF-8"?><Response><Message to="+1">a &amp; 'b' &#233;&#x1F600;</Message></Response>"#;
        assert_eq!(twiml_reply_text(sdk).as_deref(), Some("a & 'b' é😀"));
        assert_eq!(twiml_reply_text("<Response><Message /></Response>").as_deref(), Some(""));
        assert_eq!(twiml_reply_text("<Response><Message/></Response>").as_deref(), Some(""));
    }

    #[test]
    fn only_the_message_element_is_read() {
        let xml = "<Response><MessageX>no</MessageX><Message>yes</Message><Message>second</Message></Response>";
        assert_eq!(twiml_reply_text(xml).as_deref(), Some("yes"));
    }

    #[test]
    fn unclosed_message_has_no_reply_text() {
        assert_eq!(twiml_reply_text("<Response><Message>half"), None);
    }
}
