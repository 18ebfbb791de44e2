//! HelloAsso's API v5, the two calls a donation read-back makes: the OAuth2
//! token (`POST /oauth2/token`, client credentials) and the payment read
//! (`GET /v5/payments/{paymentId}`, bearer). The routes come from HelloAsso's
//! published OpenAPI document (`data/helloasso-openapi.json`: the server's
//! `/v5`, the path, the security scheme's `tokenUrl`), the token exchange
//! from RFC 6749 section 4.4 as HelloAsso's guide describes it (form fields
//! `grant_type`, `client_id`, `client_secret`; answer `access_token`,
//! `token_type`, `expires_in`, `refresh_token`), and the payment answered is
//! a `PaymentDetail` of that document (a test validates it against the
//! schema). Payments are what the test puts in; their payer is invented
//! (so that tests can look for it where it must never be).
//!
//! A client may read the payments of its own organisations only: any other
//! is `403`, as the document describes ("the JWT token hasn't the
//! privileges or roles"); an unknown payment is `404`; a missing, unknown or
//! revoked token is `401`.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::ops::Deref;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::{json, Value};

use crate::server::{same_secret, Answer, EmulatedApi, Emulator, Journal, SeenRequest};

/// HelloAsso's published OpenAPI document, the parts the stand-in serves.
pub const OPENAPI_EXCERPT: &str = include_str!("../data/helloasso-openapi.json");

/// An API client of the emulated HelloAsso.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloAssoClient {
    pub client_id: String,
    pub client_secret: String,
    /// The organisations (slugs) whose payments this client may read.
    pub organizations: Vec<String>,
}

/// A payment the emulator knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelloAssoPayment {
    pub id: u64,
    pub organization_slug: String,
    pub form_slug: String,
    /// `FormType`: `Donation`, `CrowdFunding`, `Membership`, ...
    pub form_type: String,
    /// Cents, the tip included.
    pub amount: i64,
    pub amount_tip: i64,
    /// `PaymentState`: `Authorized`, `Refunded`, `Pending`, ...
    pub state: String,
}

impl HelloAssoPayment {
    /// An authorised donation of `amount` cents, no tip.
    pub fn donation(id: u64, organization_slug: &str, form_slug: &str, amount: i64) -> HelloAssoPayment {
        HelloAssoPayment {
            id,
            organization_slug: organization_slug.to_owned(),
            form_slug: form_slug.to_owned(),
            form_type: "Donation".to_owned(),
            amount,
            amount_tip: 0,
            state: "Authorized".to_owned(),
        }
    }
}

/// The invented payer of every emulated payment: never to be found in a
/// ledger, a log or a metric.
pub const PAYER_FIRST_NAME: &str = "Camille";
pub const PAYER_LAST_NAME: &str = "Donatrice";
pub const PAYER_EMAIL: &str = "camille.donatrice@example.org";

/// A token's lifetime, as HelloAsso gives it (30 minutes).
pub const TOKEN_LIFETIME_SECONDS: i64 = 1_800;

/// A running HelloAsso stand-in. Derefs to [`Emulator`] (requests, faults).
pub struct HelloAssoEmulator {
    emulator: Emulator,
    state: Arc<State>,
}

/// Starts a HelloAsso stand-in serving `clients`; point `api_base` at
/// [`Emulator::root_url`] (the document's paths are under it).
pub fn start_helloasso(clients: Vec<HelloAssoClient>) -> io::Result<HelloAssoEmulator> {
    let routes = Routes::from_document().map_err(io::Error::other)?;
    let state = Arc::new(State { clients, inner: Mutex::default() });
    let served = Arc::clone(&state);
    let emulator = Emulator::start("", move |_| Arc::new(HelloAssoApi { routes, state: served }))?;
    Ok(HelloAssoEmulator { emulator, state })
}

impl HelloAssoEmulator {
    /// Adds or replaces a payment.
    pub fn put_payment(&self, payment: HelloAssoPayment) {
        self.state.lock().payments.insert(payment.id, payment);
    }

    /// Changes a payment's state (`Refunded`, ...).
    pub fn set_state(&self, id: u64, state: &str) {
        if let Some(payment) = self.state.lock().payments.get_mut(&id) {
            payment.state = state.to_owned();
        }
    }

    /// Tokens issued so far.
    pub fn tokens_issued(&self) -> usize {
        self.state.lock().tokens.len()
    }

    /// Payment reads answered (any status).
    pub fn payment_reads(&self) -> usize {
        self.state.lock().payment_reads
    }

    /// Revokes every token issued: the next read with one is `401`.
    pub fn revoke_tokens(&self) {
        self.state.lock().revoked_all = true;
    }
}

impl Deref for HelloAssoEmulator {
    type Target = Emulator;

    fn deref(&self) -> &Emulator {
        &self.emulator
    }
}

struct State {
    clients: Vec<HelloAssoClient>,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    payments: BTreeMap<u64, HelloAssoPayment>,
    /// Token → the client it was issued to; all tokens before `revoked_all` are void.
    tokens: BTreeMap<String, String>,
    void: BTreeSet<String>,
    revoked_all: bool,
    payment_reads: usize,
}

impl State {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Plain maps: a panic while held cannot leave them inconsistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The routes, from the published document.
struct Routes {
    /// `/oauth2/token`, the path of the security scheme's `tokenUrl`.
    token: String,
    /// `/v5/payments/`, the server's path and the payment path up to its parameter.
    payment_prefix: String,
}

impl Routes {
    fn from_document() -> Result<Routes, String> {
        let document: Value = serde_json::from_str(OPENAPI_EXCERPT).map_err(|e| e.to_string())?;
        let token_url = document["components"]["securitySchemes"]["OAuth2"]["flows"]["clientCredentials"]["tokenUrl"]
            .as_str()
            .ok_or("the document has no client-credentials tokenUrl")?;
        let server = document["servers"][0]["url"].as_str().ok_or("the document has no server")?;
        let path = document["paths"]
            .as_object()
            .and_then(|paths| paths.keys().find(|p| p.starts_with("/payments/")))
            .ok_or("the document has no payment path")?;
        Ok(Routes {
            token: path_of(token_url)?,
            payment_prefix: format!("{}{}", path_of(server)?, path.trim_end_matches("{paymentId}")),
        })
    }
}

/// The path of an absolute URL.
fn path_of(url: &str) -> Result<String, String> {
    let rest = url.split_once("://").map(|(_, rest)| rest).ok_or_else(|| format!("not a URL: {url}"))?;
    Ok(rest.find('/').map_or_else(String::new, |at| rest[at..].to_owned()))
}

struct HelloAssoApi {
    routes: Routes,
    state: Arc<State>,
}

impl HelloAssoApi {
    fn token(&self, request: &SeenRequest, journal: &Journal) -> Answer {
        if request.media_type().as_deref() != Some("application/x-www-form-urlencoded") {
            return oauth_error(400, "invalid_request");
        }
        if request.field("grant_type").as_deref() != Some("client_credentials") {
            return oauth_error(400, "unsupported_grant_type");
        }
        let (id, secret) = (request.field("client_id").unwrap_or_default(), request.field("client_secret"));
        let client = self
            .state
            .clients
            .iter()
            .find(|c| c.client_id == id && secret.as_deref().is_some_and(|s| same_secret(s, &c.client_secret)));
        let Some(client) = client else { return oauth_error(401, "invalid_client") };
        let token = format!("emulated-access-token-{}", journal.next_id());
        self.state.lock().tokens.insert(token.clone(), client.client_id.clone());
        Answer::new(
            200,
            json!({"access_token": token, "token_type": "bearer", "expires_in": TOKEN_LIFETIME_SECONDS,
                   "refresh_token": format!("emulated-refresh-token-{}", journal.next_id())}),
        )
    }

    fn payment(&self, request: &SeenRequest, id: &str) -> Answer {
        let mut inner = self.state.lock();
        inner.payment_reads += 1;
        let bearer = request.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or("");
        if inner.revoked_all {
            let issued: Vec<String> = inner.tokens.keys().cloned().collect();
            inner.void.extend(issued);
            inner.revoked_all = false;
        }
        let client_id = match inner.tokens.get(bearer) {
            Some(client_id) if !inner.void.contains(bearer) => client_id.clone(),
            _ => return Answer::new(401, json!({"message": "Unauthorized"})),
        };
        let Some(payment) = id.parse::<u64>().ok().and_then(|id| inner.payments.get(&id)) else {
            return Answer::new(404, json!({"message": "Not found"}));
        };
        let readable = self
            .state
            .clients
            .iter()
            .find(|c| c.client_id == client_id)
            .is_some_and(|c| c.organizations.contains(&payment.organization_slug));
        if !readable {
            return Answer::new(
                403,
                json!({"message": "The JWT token hasn't the privileges or Roles for this action"}),
            );
        }
        Answer::new(200, payment_detail(payment))
    }
}

/// A `PaymentDetail` of the published document.
pub fn payment_detail(p: &HelloAssoPayment) -> Value {
    let at = "2026-11-28T09:19:51.2217994+00:00";
    let refunded = p.state == "Refunded";
    json!({
        "order": {
            "id": p.id + 1_000_000, "date": at, "formSlug": p.form_slug, "formType": p.form_type,
            "organizationName": p.organization_slug, "organizationSlug": p.organization_slug,
            "organizationType": "Association1901", "organizationIsUnderColucheLaw": false,
            "meta": {"createdAt": at, "updatedAt": at}
        },
        "payer": {
            "email": PAYER_EMAIL, "address": "1 rue de l'Exemple", "city": "Lyon", "zipCode": "69001",
            "country": "FRA", "firstName": PAYER_FIRST_NAME, "lastName": PAYER_LAST_NAME
        },
        "items": [{
            "shareAmount": p.amount - p.amount_tip, "shareItemAmount": p.amount - p.amount_tip, "id": p.id + 2_000_000,
            "amount": p.amount - p.amount_tip, "type": "Donation", "state": "Processed"
        }],
        "cashOutState": if refunded { "Refunded" } else { "MoneyIn" },
        "paymentReceiptUrl": format!("https://www.helloasso.com/associations/{}/paiement-attestation/{}", p.organization_slug, p.id),
        "id": p.id, "amount": p.amount, "amountTip": p.amount_tip, "date": at, "paymentMeans": "Card",
        "installmentNumber": 1, "state": p.state, "type": "Credit",
        "meta": {"createdAt": at, "updatedAt": at},
        "refundOperations": if refunded {
            json!([{"id": p.id + 3_000_000, "amount": p.amount, "amountTip": p.amount_tip, "status": "Processed",
                    "meta": {"createdAt": at, "updatedAt": at}}])
        } else {
            json!([])
        }
    })
}

impl EmulatedApi for HelloAssoApi {
    fn answer(&self, request: &SeenRequest, journal: &Journal) -> Answer {
        if request.path == self.routes.token && request.method == "POST" {
            return self.token(request, journal);
        }
        match request.path.strip_prefix(&self.routes.payment_prefix) {
            Some(id) if request.method == "GET" && !id.contains('/') => self.payment(request, id),
            _ => Answer::new(404, json!({"message": "Not found"})),
        }
    }

    fn error_answer(&self, status: u16) -> Answer {
        Answer::new(status, json!({"message": "injected"}))
    }
}

fn oauth_error(status: u16, error: &str) -> Answer {
    Answer::new(status, json!({"error": error}))
}
