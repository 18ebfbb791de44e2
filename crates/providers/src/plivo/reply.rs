//! The inline answer to a Plivo message webhook: Plivo XML with one
//! `<Message>` (from our number to the sender) or an empty `<Response/>`,
//! served as `application/xml`; and a reader of it for `antirelou send` and tests.
//!
//! Numbers are written as Plivo writes them, without `+`. Rendered like the
//! official SDK's `plivoxml.ResponseElement().to_string(False)`.

use crate::twilio::twiml::{push_escaped, unescape};

/// The `Content-Type` of the reply.
pub const CONTENT_TYPE: &str = "application/xml; charset=utf-8";

/// One reply read back from Plivo XML.
#[derive(Clone, PartialEq, Eq)]
pub struct ReplyMessage {
    pub src: String,
    pub dst: String,
    pub text: String,
}

impl std::fmt::Debug for ReplyMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplyMessage")
            .field("src", &self.src)
            .field("text", &format_args!("<{} chars>", self.text.chars().count()))
            .finish_non_exhaustive()
    }
}

/// `<Response><Message src="SRC" dst="DST">TEXT</Message></Response>`: `src`
/// is our number, `dst` the sender (a leading `+` is dropped from both),
/// every text escaped; characters XML cannot carry are left out.
pub fn reply_message(src: &str, dst: &str, text: &str) -> String {
    let mut xml = String::with_capacity(64 + src.len() + dst.len() + text.len() + text.len() / 4);
    xml.push_str("<Response><Message src=\"");
    push_escaped(&mut xml, src.trim_start_matches('+'));
    xml.push_str("\" dst=\"");
    push_escaped(&mut xml, dst.trim_start_matches('+'));
    xml.push_str("\">");
    push_escaped(&mut xml, text);
    xml.push_str("</Message></Response>");
    xml
}

/// No reply: `<Response/>`.
pub fn reply_empty() -> String {
    "<Response/>".to_owned()
}

/// The first `<Message>` of a Plivo XML document (ours or the SDK's, with
/// attributes in any order and either quote), or `None` for `<Response/>`.
pub fn read_reply(xml: &str) -> Option<ReplyMessage> {
    let mut from = 0;
    let tag_end = loop {
        let tag = from + xml.get(from..)?.find("<Message")?;
        let after_name = tag + "<Message".len();
        match xml[after_name..].chars().next() {
            Some(c) if c.is_ascii_whitespace() || c == '>' || c == '/' => {
                break (after_name, after_name + xml[after_name..].find('>')?)
            }
            Some(_) => from = after_name,
            None => return None,
        }
    };
    let (attributes_start, close) = tag_end;
    let attributes = &xml[attributes_start..close];
    let src = attribute(attributes, "src").unwrap_or_default();
    let dst = attribute(attributes, "dst").unwrap_or_default();
    if attributes.trim_end().ends_with('/') {
        return Some(ReplyMessage { src, dst, text: String::new() });
    }
    let content = &xml[close + 1..];
    let end = content.find("</Message")?;
    Some(ReplyMessage { src, dst, text: unescape(&content[..end]) })
}

/// The text of the first `<Message>`, or `None` for no reply.
pub fn reply_text(xml: &str) -> Option<String> {
    read_reply(xml).map(|reply| reply.text)
}

/// The unescaped value of `name="…"` (or `'…'`) among a tag's attributes.
fn attribute(attributes: &str, name: &str) -> Option<String> {
    let mut rest = attributes;
    loop {
        let at = rest.find(name)?;
        let before_ok = at == 0 || rest[..at].ends_with(|c: char| c.is_ascii_whitespace());
        let after = rest[at + name.len()..].trim_start();
        if let (true, Some(value)) = (before_ok, after.strip_prefix('=')) {
            let value = value.trim_start();
            let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            let inner = &value[1..];
            let end = inner.find(quote)?;
            return Some(unescape(&inner[..end]));
        }
        rest = &rest[at + name.len()..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_is_one_message_from_our_number_to_the_sender() {
        assert_eq!(
            reply_message("+33939000001", "+33612345678", "Non, c'est non."),
            "<Response><Message src=\"33939000001\" dst=\"33612345678\">Non, c&apos;est non.</Message></Response>"
        );
    }

    #[test]
    fn text_and_attributes_are_escaped_so_nothing_can_be_injected() {
        let xml = reply_message("1\"x", "2", "</Message><Redirect>https://evil</Redirect>&");
        assert!(!xml.contains("<Redirect>"));
        assert_eq!(xml.matches("<Message").count(), 1);
        let read = read_reply(&xml).expect("one message");
        assert_eq!(read.src, "1\"x");
        assert_eq!(read.text, "</Message><Redirect>https://evil</Redirect>&");
    }

    #[test]
    fn no_reply_is_an_empty_response() {
        assert_eq!(reply_empty(), "<Response/>");
        assert_eq!(read_reply(&reply_empty()), None);
        assert_eq!(reply_text("not xml"), None);
    }

    #[test]
    fn replies_round_trip_and_the_sdks_rendering_reads_the_same() {
        for text in ["", "plain", "a & <b> \"c\" 'd' é😀", "ligne 1\nligne 2"] {
            let read = read_reply(&reply_message("+33939000001", "33612345678", text)).expect("a message");
            assert_eq!(
                (read.src.as_str(), read.dst.as_str(), read.text.as_str()),
                ("33939000001", "33612345678", text)
            );
        }
        // plivoxml.ResponseElement().add(MessageElement(..., src=, dst=)).to_string() of plivo 4.63.0.
        let sdk = "<Response>\n  <Message src=\"+33939000001\" dst=\"33612345678\">a &amp; &lt;b&gt; \"c\" 'd' é😀</Message>\n</Response>\n";
        let read = read_reply(sdk).expect("the SDK's message");
        assert_eq!(
            (read.src.as_str(), read.dst.as_str(), read.text.as_str()),
            ("+33939000001", "33612345678", "a & <b> \"c\" 'd' é😀")
        );
        assert_eq!(
            read_reply("<Response><Message dst='2' src='1'/></Response>").map(|r| (r.src, r.dst, r.text)),
            Some(("1".into(), "2".into(), String::new()))
        );
    }

    #[test]
    fn only_the_message_element_is_read() {
        let xml = "<Response><MessageX>no</MessageX><Message>yes</Message></Response>";
        assert_eq!(reply_text(xml).as_deref(), Some("yes"));
        assert_eq!(reply_text("<Response><Message>half").as_deref(), None);
    }
}
