//! Sign-in with a tenant's `admin_token` (or the operator token), limited
//! per client address (IPv6 by its /64): every attempt here, and every
//! wrong token with the API's through the token guard; sign-out. The token travels only in the form's body
//! (never a URL) and is never logged.

use antirelou_domain::micros;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use antirelou_domain::GovernorClock;
use antirelou_domain::SharedClock;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use maud::html;
use prometheus::IntCounterVec;
use serde::Deserialize;

use super::i18n::{Lang, T};
use super::session::{new_nonce, who, SessionKey, SESSION_COOKIE, SIGNIN_COOKIE, SIGNIN_FORM_TTL_SECONDS};
use super::PageState;
use super::{cookie, layout};
use crate::client_address::block_of;
use crate::routes::admin::{caller_of_token, welcome};
use crate::token_guard::{Surface, TokenRefusal};

/// Sign-in attempts one client address may make per minute (a burst of
/// this many, then one every 60/N s): a person mistyping a token never
/// reaches it; guessing a 16-byte token at this pace is hopeless.
pub const SIGNIN_ATTEMPTS_PER_MINUTE: u32 = 10;

/// Client addresses the limiter remembers before it forgets the idle ones.
const SIGNIN_LIMITER_MAX_KEYS: usize = 10_000;

/// The `result` label values of `antirelou_console_signins_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigninResult {
    Ok,
    Refused,
    Limited,
}

impl SigninResult {
    pub const ALL: [SigninResult; 3] = [SigninResult::Ok, SigninResult::Refused, SigninResult::Limited];

    pub const fn as_str(self) -> &'static str {
        match self {
            SigninResult::Ok => "ok",
            SigninResult::Refused => "refused",
            SigninResult::Limited => "limited",
        }
    }
}

type KeyedLimiter = RateLimiter<
    IpAddr,
    HashMapStateStore<IpAddr>,
    GovernorClock,
    governor::middleware::NoOpMiddleware<governor::nanos::Nanos>,
>;

/// The per-address limit of sign-in attempts and its metric.
pub struct SigninLimiter {
    limiter: KeyedLimiter,
    counter: IntCounterVec,
}

impl SigninLimiter {
    pub fn new(prometheus: &prometheus::Registry, clock: &SharedClock) -> Result<SigninLimiter, prometheus::Error> {
        let counter = IntCounterVec::new(
            prometheus::Opts::new(
                "antirelou_console_signins_total",
                "Console sign-in attempts by result (ok, refused: unknown token or form, limited: too many from one address).",
            ),
            &["result"],
        )?;
        prometheus.register(Box::new(counter.clone()))?;
        for result in SigninResult::ALL {
            counter.with_label_values(&[result.as_str()]);
        }
        let per_minute = NonZeroU32::new(SIGNIN_ATTEMPTS_PER_MINUTE).unwrap_or(NonZeroU32::MIN);
        let limiter = RateLimiter::new(
            Quota::per_minute(per_minute),
            HashMapStateStore::default(),
            GovernorClock::new(Arc::clone(clock)),
        );
        Ok(SigninLimiter { limiter, counter })
    }

    /// Whether `address` (counted by its /64 when IPv6) may try once more now.
    fn allow(&self, address: IpAddr) -> bool {
        if self.limiter.len() > SIGNIN_LIMITER_MAX_KEYS {
            self.limiter.retain_recent();
        }
        self.limiter.check_key(&block_of(address)).is_ok()
    }

    fn count(&self, result: SigninResult) {
        self.counter.with_label_values(&[result.as_str()]).inc();
    }
}

/// `GET /console/login`: the form, with a fresh nonce cookie for its CSRF token.
pub async fn form(request: HttpRequest, state: PageState) -> HttpResponse {
    render(&request, &state, StatusCode::OK, None)
}

fn render(request: &HttpRequest, state: &PageState, status: StatusCode, problem: Option<T>) -> HttpResponse {
    let lang = Lang::of(request);
    let nonce = new_nonce();
    let csrf = state.console.key.signin_csrf(&nonce);
    let body = html! {
        @if let Some(problem) = problem {
            p.notice.error role="alert" { (problem.get(lang)) }
        }
        p { (T::SignInIntro.get(lang)) }
        form.signin method="post" action="/console/login" autocomplete="off" {
            input type="hidden" name="csrf" value=(csrf);
            label for="token" { (T::Token.get(lang)) }
            input #token type="password" name="token" required autocomplete="current-password";
            button type="submit" { (T::SignIn.get(lang)) }
        }
    };
    let mut response = layout::document(lang, request.path(), status, T::SignIn, html! {}, body);
    let _ = response.add_cookie(&cookie(request, state, SIGNIN_COOKIE, nonce, SIGNIN_FORM_TTL_SECONDS));
    response
}

#[derive(Deserialize)]
pub struct SigninForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /console/login`: the token checked like the API's bearer token;
/// a session cookie when it names a caller.
pub async fn submit(request: HttpRequest, form: web::Form<SigninForm>, state: PageState) -> HttpResponse {
    let limiter = &state.console.signin;
    let address = request.peer_addr().map(|a| a.ip());
    if let Some(address) = address {
        if !limiter.allow(address) {
            limiter.count(SigninResult::Limited);
            return render(&request, &state, StatusCode::TOO_MANY_REQUESTS, Some(T::TooManyAttempts));
        }
    }
    let nonce = request.cookie(SIGNIN_COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    if nonce.is_empty() || !SessionKey::same(&form.csrf, &state.console.key.signin_csrf(&nonce)) {
        limiter.count(SigninResult::Refused);
        return render(&request, &state, StatusCode::FORBIDDEN, Some(T::BadForm));
    }
    let checked = state.tokens.check(Surface::Console, address, form.token.trim(), |token| {
        caller_of_token(token, &state).and_then(|caller| welcome(&request, caller))
    });
    let caller = match checked {
        Ok(caller) => caller,
        Err(TokenRefusal::Limited { .. }) => {
            limiter.count(SigninResult::Limited);
            return render(&request, &state, StatusCode::TOO_MANY_REQUESTS, Some(T::TooManyAttempts));
        }
        Err(TokenRefusal::Unknown) => {
            limiter.count(SigninResult::Refused);
            return render(&request, &state, StatusCode::UNAUTHORIZED, Some(T::WrongToken));
        }
    };
    let Ok(generation) = state.registry.ledger().session_generation(&who(&caller)).await else {
        return render(&request, &state, StatusCode::SERVICE_UNAVAILABLE, Some(T::LedgerUnavailable));
    };
    limiter.count(SigninResult::Ok);
    let now = state.clock.now_seconds();
    let value = state.console.key.issue(&caller, form.token.trim(), generation, now, state.console.ttl_seconds);
    let max_age = i64::try_from(state.console.ttl_seconds).unwrap_or(i64::MAX);
    let mut response = layout::see_other("/console/");
    let _ = response.add_cookie(&cookie(&request, &state, SESSION_COOKIE, value, max_age));
    let _ = response.add_removal_cookie(&cookie(&request, &state, SIGNIN_COOKIE, String::new(), 0));
    response
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /console/logout`: ends the session on every replica (recorded in
/// the ledger until it would have expired) and clears the cookie. Its CSRF
/// token is checked, so no other site can sign a visitor out; when the
/// ledger does not answer, the visitor is told and stays signed in (a
/// cleared cookie alone would leave a copied one working).
pub async fn sign_out(request: HttpRequest, form: web::Form<CsrfOnly>, state: PageState) -> HttpResponse {
    let Some(visit) = super::Visit::of(&request, &state).await else { return layout::to_sign_in() };
    if !visit.csrf_ok(&form.csrf) {
        return visit.bad_form(&request);
    }
    let id = state.console.key.revocation_id(&visit.session);
    let expires_micros = micros::from_seconds(visit.session.expires_seconds);
    let ledger = state.registry.ledger();
    if ledger.revoke_session(&id, state.clock.now_micros(), expires_micros).await.is_err() {
        return visit.unavailable(&request, T::LedgerUnavailable);
    }
    let mut response = layout::see_other("/console/login");
    let _ = response.add_removal_cookie(&cookie(&request, &state, SESSION_COOKIE, String::new(), 0));
    response
}
