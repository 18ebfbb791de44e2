//! Integration tests: the real server on a free port, real HTTP, real SQLite
//! files (and, where needed, real `redis-server` processes).
//!
//! One binary indexes every module so the suite links once.

mod support;

mod admin;
mod budget_alerts;
mod concurrency;
mod console;
mod controls;
mod evidence;
mod listeners;
mod money_attacks;
mod outcomes;
mod provider_sdks;
mod providers;
mod reload;
mod restart;
mod sdk_crosscheck;
mod shield_alerts;
mod slow_clients;
mod supervision;
mod tenants;
mod webhook;
