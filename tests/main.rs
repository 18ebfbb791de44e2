//! Integration tests: the real server on a free port, real HTTP, real SQLite
//! files (and, where needed, real `redis-server` processes).
//!
//! One binary indexes every module so the suite links once. Each module
//! below says what belongs in it; a test that fits none gets a new module
//! here, with its line. Tests that need the `antirelou` binary (several
//! processes, signals) are in `crates/antirelou/tests/`; the simulator's
//! own are in `crates/simulator/tests/`. What each proves: docs/testing.md.

// `spawn_app` and the helpers every module shares: a server, its ledger,
// signed requests, metric reads.
mod support;

// The flood answered on the HTTP workers and by the actors alone: the same answers and counters.
mod answered_on_workers;
// The `/v1/` admin API as one client sees it: tokens, numbers, pages, errors.
mod admin;
// Budget alerts (50/80/100 % of a cap or a balance) and the per-day stats.
mod budget_alerts;
// Calls: the voice webhooks decided like SMS, in the same ledger and caps.
mod calls;
// Calls through Vonage (NCCO, JWT-signed) and Plivo (Plivo XML), events and hangups.
mod calls_vonage_plivo;
// A call's real cost: Twilio's call status callback settles it once, on both ledgers.
mod call_settlement;
// Many webhooks at once: no double payment, no cap crossed.
mod concurrency;
// The console's sessions and sign-in limit over HTTP (its pages run in a
// real browser: tests/deploy/test_console.py).
mod console;
// Every console page, after a flood, in volunteers' words; inputs as people type them.
mod console_words;
// Runtime controls (pause, overrides, blocklists) across replicas and restarts.
mod controls;
// Incidents and the evidence bundle, opened with Debian's age.
mod evidence;
// Which listener serves which path (`listen`, `admin_listen`, `metrics_listen`).
mod listeners;
// Attacks on the money: replays of one signed webhook, paging a huge ledger.
mod money_attacks;
// Every outcome a webhook can meet is reachable and counted.
mod outcomes;
// The official Vonage and Plivo SDKs against our signatures and replies.
mod provider_sdks;
// The official Vonage and Plivo SDKs against our call tokens, NCCO and Plivo XML.
mod provider_sdks_voice;
// Each provider end to end with its local stand-in: webhooks, floods, polling.
mod providers;
// `POST /v1/reload` and what it applies or refuses.
mod reload;
// What survives a restart on the same ledger file.
mod restart;
// The official Twilio SDK against our signatures and TwiML.
mod sdk_crosscheck;
// Shield mode entered on a surge: metrics and alerts.
mod shield_alerts;
// Slow or greedy clients: request deadline, per-IP and total connection limits.
mod slow_clients;
// A panicking actor is restarted; other numbers never notice.
mod supervision;
// Tenant isolation: tokens, accounts, spend.
mod tenants;
// The Twilio webhook route in detail: status codes, TwiML, signature variants.
mod webhook;
