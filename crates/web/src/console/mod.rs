//! The collective's console at `/console/`: server-rendered pages (maud)
//! for the volunteers who run a number, in French and English.
//!
//! Start with [`configure`] (every route), then `session.rs` (the signed
//! cookie, CSRF tokens), `signin.rs` (sign-in, its per-IP limit, sign-out)
//! and `layout.rs` (the frame and the security headers of every page).
//! One file per page: `overview.rs`, `number.rs` (with `shield.rs`, what
//! it says while the shield is up), `blocklist.rs`, `money.rs`, `alerts.rs`,
//! `attack.rs` (what to do during an attack); `health.rs` (a number's health: badge and
//! reasons); `calls.rs` (a number's calls: its message, today's calls); `chart.rs` draws the 24-hour chart of replies
//! (from the ledger, for the whole service); `i18n.rs` holds every word and
//! `format.rs` writes money, times and counts the same on every page;
//! `assets/` the CSS and the little JavaScript (live reply counter),
//! embedded in the binary. No page shows a figure of one process: every
//! count comes from the ledger, the same on every server.
//!
//! Pages change things through the same functions as the JSON API
//! (`Controls::pause`, `Controls::patch`, `Controls::block`,
//! `routes::admin::tenants::credit`): no rule is written twice. Some pages read the ledger
//! directly (totals, day counts, balances, entries; docs/ARCHITECTURE.md
//! lists them). Nothing here shows a sender's phone or a message body:
//! there are none to show.

mod alerts;
mod attack;
mod blocklist;
mod calls;
mod chart;
mod donations;
mod fields;
pub mod format;
mod generations;
mod health;
pub mod i18n;
mod incidents;
mod layout;
mod money;
mod number;
mod overview;
pub mod session;
mod shield;
mod signin;

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{from_fn, Next};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use antirelou_settings::Settings;

use crate::routes::admin::Caller;
use crate::state::AppState;
use i18n::{Lang, T};
use session::{Session, SessionKey, SESSION_COOKIE};

pub use money::EXPORTS_PER_TENANT;
pub use signin::SIGNIN_ATTEMPTS_PER_MINUTE;

/// What the console keeps beside the application state: its own app data
/// (`web::Data<ConsoleState>`), registered by [`configure`].
pub struct ConsoleState {
    pub key: SessionKey,
    pub ttl_seconds: u64,
    /// `server.public_url` is https: cookies are always `Secure`.
    pub https: bool,
    pub signin: signin::SigninLimiter,
    /// CSV downloads streaming at once, per tenant (each reads the ledger page after page).
    pub exports: money::ExportSlots,
}

/// What a console handler reads: the application's state (through
/// `Deref`) and the console's own (`console`), both app data of the same
/// application.
pub struct PageState {
    app: web::Data<AppState>,
    pub console: web::Data<ConsoleState>,
}

impl PageState {
    /// The page state of `request`'s application, when it serves the console.
    fn of(request: &HttpRequest) -> Option<PageState> {
        let app = request.app_data::<web::Data<AppState>>()?.clone();
        let console = request.app_data::<web::Data<ConsoleState>>()?.clone();
        Some(PageState { app, console })
    }
}

impl std::ops::Deref for PageState {
    type Target = AppState;

    fn deref(&self) -> &AppState {
        &self.app
    }
}

impl FromRequest for PageState {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<PageState, actix_web::Error>>;

    fn from_request(request: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            PageState::of(request)
                .ok_or_else(|| actix_web::error::ErrorInternalServerError("the console is not configured")),
        )
    }
}

impl ConsoleState {
    /// The console's keys, sign-in limiter and CSV slots, and the ledger's
    /// session generations kept aligned with the tokens. Call inside an
    /// actix System.
    pub fn start(settings: &Settings, state: &AppState) -> Result<ConsoleState, prometheus::Error> {
        let console = ConsoleState::from_settings(settings, &state.prometheus, &state.clock)?;
        generations::spawn_keeper(console.key.clone(), state.operator_token.clone(), state.registry.clone());
        Ok(console)
    }

    pub fn from_settings(
        settings: &Settings,
        prometheus: &prometheus::Registry,
        clock: &antirelou_domain::SharedClock,
    ) -> Result<ConsoleState, prometheus::Error> {
        Ok(ConsoleState {
            key: SessionKey::derive(settings.privacy.sender_key.expose().as_bytes()),
            ttl_seconds: settings.server.console_session_ttl_seconds,
            https: settings.server.public_url.starts_with("https://"),
            signin: signin::SigninLimiter::new(prometheus, clock)?,
            exports: money::ExportSlots::default(),
        })
    }
}

/// Every `/console` route, with the console's own state.
pub fn configure(cfg: &mut web::ServiceConfig, console: web::Data<ConsoleState>) {
    cfg.app_data(console).service(
        web::scope("/console")
            .wrap(from_fn(security_headers))
            .route("", web::get().to(overview::show))
            .route("/", web::get().to(overview::show))
            .route("/login", web::get().to(signin::form))
            .route("/login", web::post().to(signin::submit))
            .route("/logout", web::post().to(signin::sign_out))
            .route("/lang/{code}", web::get().to(switch_language))
            .route("/assets/console.css", web::get().to(stylesheet))
            .route("/assets/console.js", web::get().to(script))
            .route("/during-an-attack", web::get().to(attack::show))
            .route("/numbers/{number}", web::get().to(number::show))
            .route("/numbers/{number}/preview", web::post().to(number::preview))
            .route("/numbers/{number}/{action}", web::post().to(number::act))
            .route("/tenants/{tenant}/money", web::get().to(money::show))
            .route("/tenants/{tenant}/top-up", web::post().to(money::top_up))
            .route("/tenants/{tenant}/entries.csv", web::get().to(money::csv))
            .route("/tenants/{tenant}/blocklist", web::get().to(blocklist::show))
            .route("/tenants/{tenant}/blocklist", web::post().to(blocklist::add))
            .route("/tenants/{tenant}/blocklist/remove", web::post().to(blocklist::remove))
            .route("/tenants/{tenant}/alerts", web::get().to(alerts::show))
            .route("/tenants/{tenant}/incidents", web::get().to(incidents::list))
            .route("/tenants/{tenant}/incidents/{id}", web::get().to(incidents::show))
            .route("/tenants/{tenant}/incidents/{id}/evidence.zip", web::get().to(incidents::evidence))
            .default_service(web::to(not_found)),
    );
}

/// A signed-in request: who, in which language, the CSRF token of its forms.
pub struct Visit {
    pub lang: Lang,
    pub session: Session,
    pub csrf: String,
    /// The request path (the language switch comes back to it).
    pub path: String,
    /// The tenants the visitor may see, sorted.
    pub tenants: Vec<String>,
}

impl Visit {
    /// The visitor, if signed in (else pages answer [`layout::to_sign_in`]):
    /// a cookie of ours, not expired, opened with the caller's current
    /// token at the caller's current session generation, and not signed
    /// out on any replica (two ledger reads; when the ledger does not
    /// answer, nobody is signed in).
    pub async fn of(request: &HttpRequest, state: &PageState) -> Option<Visit> {
        let now = state.clock.now_seconds();
        let session =
            request.cookie(SESSION_COOKIE).and_then(|cookie| state.console.key.verify(cookie.value(), now, state))?;
        // An operator's session from the admin listener opens nothing on the public side.
        crate::routes::admin::welcome(request, session.caller.clone())?;
        let revocation = state.console.key.revocation_id(&session);
        let ledger = state.registry.ledger();
        if !matches!(ledger.session_revoked(&revocation, state.clock.now_micros()).await, Ok(false)) {
            return None;
        }
        let generation = ledger.session_generation(&session::who(&session.caller)).await.ok()?;
        if generation != session.generation {
            return None;
        }
        let mut tenants: Vec<String> = state
            .registry
            .numbers()
            .iter()
            .map(|h| h.tenant_id().to_string())
            .filter(|t| session.caller.may_see(t))
            .collect();
        tenants.sort();
        tenants.dedup();
        Some(Visit {
            lang: Lang::of(request),
            csrf: state.console.key.csrf(&session),
            session,
            path: request.path().to_owned(),
            tenants,
        })
    }

    /// The visitor of a tenant's page: signed in (else the sign-in page)
    /// and allowed to see `tenant` (else `404`, as for a tenant that does
    /// not exist).
    pub async fn of_tenant(request: &HttpRequest, state: &PageState, tenant: &str) -> Result<Visit, HttpResponse> {
        let visit = Visit::of(request, state).await.ok_or_else(layout::to_sign_in)?;
        if !visit.sees_tenant(tenant) {
            return Err(visit.not_found(request));
        }
        Ok(visit)
    }

    pub fn caller(&self) -> &Caller {
        &self.session.caller
    }

    /// Who is signed in, in words.
    pub fn who(&self) -> String {
        match &self.session.caller {
            Caller::Operator => T::Operator.get(self.lang).to_owned(),
            Caller::Tenant(id) => id.clone(),
        }
    }

    /// Whether the visitor may see `tenant` and it exists.
    pub fn sees_tenant(&self, tenant: &str) -> bool {
        self.tenants.iter().any(|t| t == tenant)
    }

    /// Whether `given` is this session's CSRF token.
    pub fn csrf_ok(&self, given: &str) -> bool {
        SessionKey::same(given, &self.csrf)
    }

    pub fn not_found(&self, request: &HttpRequest) -> HttpResponse {
        layout::refusal(request, Some(self), StatusCode::NOT_FOUND, T::NotFound)
    }

    pub fn bad_form(&self, request: &HttpRequest) -> HttpResponse {
        layout::refusal(request, Some(self), StatusCode::FORBIDDEN, T::BadForm)
    }

    pub fn unavailable(&self, request: &HttpRequest, message: T) -> HttpResponse {
        layout::refusal(request, Some(self), StatusCode::SERVICE_UNAVAILABLE, message)
    }
}

/// A console cookie: HttpOnly, SameSite=Strict, path `/console`, `Secure`
/// when `public_url` is https or the request came over https (the
/// ingress's `X-Forwarded-Proto`/`Forwarded`).
pub fn cookie<'a>(request: &HttpRequest, state: &PageState, name: &'a str, value: String, max_age: i64) -> Cookie<'a> {
    let secure = state.console.https || request.connection_info().scheme() == "https";
    Cookie::build(name, value)
        .path("/console")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(actix_web::cookie::time::Duration::seconds(max_age))
        .finish()
}

async fn security_headers(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(request).await?;
    layout::secure(response.headers_mut());
    Ok(response)
}

#[derive(serde::Deserialize)]
struct Back {
    back: Option<String>,
}

/// `GET /console/lang/{code}?back=/console/...`: remembers the language.
async fn switch_language(
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<Back>,
    state: PageState,
) -> HttpResponse {
    let Some(lang) = Lang::from_code(&path) else { return not_found(request).await };
    // Only back into the console: never an open redirect.
    let back = query
        .back
        .as_deref()
        .filter(|b| b.starts_with("/console/") && !b.starts_with("//") && !b.contains(['\\', '\r', '\n']))
        .unwrap_or("/console/");
    let mut response = layout::see_other(back);
    let remembered = cookie(&request, &state, i18n::LANG_COOKIE, lang.code().to_owned(), 365 * 86_400);
    let _ = response.add_cookie(&remembered);
    response
}

async fn not_found(request: HttpRequest) -> HttpResponse {
    let visit = match PageState::of(&request) {
        Some(state) => Visit::of(&request, &state).await,
        None => None,
    };
    layout::refusal(&request, visit.as_ref(), StatusCode::NOT_FOUND, T::NotFound)
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok().content_type("text/css; charset=utf-8").body(include_str!("assets/console.css"))
}

async fn script() -> HttpResponse {
    HttpResponse::Ok().content_type("text/javascript; charset=utf-8").body(include_str!("assets/console.js"))
}
