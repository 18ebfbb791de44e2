//! The frame of every console page (head, navigation, language switch,
//! sign-out), the security headers every console response carries, and the
//! few responses pages share (redirects, refusals).

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use maud::{html, Markup, DOCTYPE};

use super::i18n::{Lang, T};
use super::Visit;

/// The Content-Security-Policy of every console response: nothing but our
/// own files (no inline script or style, no other origin), never framed.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; \
                       connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
                       object-src 'none'";

/// The headers every console response carries (pages, assets, refusals).
pub const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
];

/// Sets the security headers on a console response (the console scope's middleware).
pub fn secure(headers: &mut actix_web::http::header::HeaderMap) {
    for (name, value) in SECURITY_HEADERS {
        if let Ok(name) = header::HeaderName::try_from(name) {
            if !headers.contains_key(&name) {
                headers.insert(name, HeaderValue::from_static(value));
            }
        }
    }
}

/// A whole page for a signed-in visitor.
pub fn page(visit: &Visit, title: T, body: Markup) -> HttpResponse {
    page_with_status(visit, StatusCode::OK, title, body)
}

/// A whole page with `status`.
pub fn page_with_status(visit: &Visit, status: StatusCode, title: T, body: Markup) -> HttpResponse {
    let lang = visit.lang;
    let nav = html! {
        nav aria-label=(T::Navigation.get(lang)) {
            ul {
                li { a href="/console/" { (T::Overview.get(lang)) } }
                @for tenant in &visit.tenants {
                    li.tenant {
                        span { (T::Tenant.get(lang)) " " strong { (tenant) } }
                        " · " a href=(format!("/console/tenants/{tenant}/money")) { (T::Money.get(lang)) }
                        " · " a href=(format!("/console/tenants/{tenant}/blocklist")) { (T::Blocklist.get(lang)) }
                        " · " a href=(format!("/console/tenants/{tenant}/alerts")) { (T::Alerts.get(lang)) }
                    }
                }
            }
            form.signout method="post" action="/console/logout" {
                input type="hidden" name="csrf" value=(visit.csrf);
                span { (T::SignedInAs.get(lang)) " " strong { (visit.who()) } }
                " "
                button type="submit" { (T::SignOut.get(lang)) }
            }
        }
    };
    document(lang, &visit.path, status, title, nav, body)
}

/// A whole page, signed in or not.
pub fn document(lang: Lang, path: &str, status: StatusCode, title: T, nav: Markup, body: Markup) -> HttpResponse {
    let other = lang.other();
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title.get(lang)) " — " (T::Console.get(lang)) }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                a.skip href="#main" { (T::SkipToContent.get(lang)) }
                header {
                    p.brand { (T::Console.get(lang)) }
                    a.lang href=(format!("/console/lang/{}?back={}", other.code(), url_encode(path)))
                        hreflang=(other.code()) lang=(other.code()) { (T::SwitchLanguage.get(lang)) }
                    (nav)
                }
                main #main {
                    h1 { (title.get(lang)) }
                    (body)
                }
            }
        }
    };
    HttpResponseBuilder::new(status).content_type("text/html; charset=utf-8").body(markup.into_string())
}

/// `303 See Other` to `location` (after a POST, or to sign in).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
}

/// Where a visitor who is not signed in goes.
pub fn to_sign_in() -> HttpResponse {
    see_other("/console/login")
}

/// The page of a refusal (404, 403, 503) for a visitor signed in or not.
pub fn refusal(request: &HttpRequest, visit: Option<&Visit>, status: StatusCode, message: T) -> HttpResponse {
    let body =
        html! { p.notice.error role="alert" { (message.get(visit.map_or_else(|| Lang::of(request), |v| v.lang))) } };
    match visit {
        Some(visit) => page_with_status(visit, status, message, body),
        None => document(Lang::of(request), request.path(), status, message, html! {}, body),
    }
}

/// A refused form (400): the reason in the service's own words (never text
/// read from the URL) and the way back to the page.
pub fn problem(visit: &Visit, back: &str, reason: &str) -> HttpResponse {
    let body = html! {
        p.notice.error role="alert" { (reason) }
        p { a href=(back) { (T::GoBack.get(visit.lang)) } }
    };
    page_with_status(visit, StatusCode::BAD_REQUEST, T::FormRefused, body)
}

/// Percent-encodes a path or a value for a query (`/` kept).
pub fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A bar of `part` over `whole` as an inline SVG (no style attribute: the
/// CSP forbids inline styles), with its figures as text for screen readers.
pub fn bar(part: i64, whole: i64, label: &str) -> Markup {
    let ratio = if whole <= 0 { 1.0 } else { (part.max(0) as f64 / whole as f64).min(1.0) };
    let width = (ratio * 200.0).round();
    let class = if ratio >= 1.0 {
        "full"
    } else if ratio >= 0.8 {
        "high"
    } else {
        "ok"
    };
    html! {
        svg.bar width="200" height="12" viewBox="0 0 200 12" role="img" aria-label=(label) {
            rect.track x="0" y="0" width="200" height="12" rx="3" {}
            rect class=(class) x="0" y="0" width=(width) height="12" rx="3" {}
        }
    }
}
