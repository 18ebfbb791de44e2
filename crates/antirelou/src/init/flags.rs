//! `init --non-interactive`: the answers from the flags, every problem at
//! once, each naming its flag.

use antirelou_domain::ProviderKind;

use super::answers::{self, Answers, ProviderAnswers};
use super::Lang;
use crate::cli::InitArgs;

/// The answers the flags give, or every problem with them.
pub fn answers(args: &InitArgs, lang: Lang) -> Result<Answers, Vec<String>> {
    let mut problems = Vec::new();
    let mut need = |flag: &str, value: &Option<String>| -> String {
        match value.as_deref().map(str::trim) {
            Some(value) if !value.is_empty() => value.to_owned(),
            _ => {
                problems.push(format!("--{flag} is required with --non-interactive"));
                String::new()
            }
        }
    };
    let tenant = need("tenant", &args.tenant);
    let number = need("number", &args.number);
    let public_url = need("public-url", &args.public_url);
    let provider = match args.provider.map(ProviderKind::from) {
        None => {
            problems.push("--provider is required with --non-interactive (twilio, vonage, plivo or ovh)".to_owned());
            None
        }
        Some(ProviderKind::Twilio) => Some(ProviderAnswers::Twilio {
            account_sid: need("account-sid", &args.account_sid),
            auth_token: need("auth-token", &args.auth_token),
        }),
        Some(ProviderKind::Vonage) => Some(ProviderAnswers::Vonage {
            api_key: need("api-key", &args.api_key),
            api_secret: need("api-secret", &args.api_secret),
            signature_secret: need("signature-secret", &args.signature_secret),
        }),
        Some(ProviderKind::Plivo) => Some(ProviderAnswers::Plivo {
            auth_id: need("auth-id", &args.auth_id),
            auth_token: need("auth-token", &args.auth_token),
        }),
        Some(ProviderKind::Ovh) => Some(ProviderAnswers::Ovh {
            endpoint: args.endpoint.trim().to_owned(),
            application_key: need("application-key", &args.application_key),
            application_secret: need("application-secret", &args.application_secret),
            consumer_key: need("consumer-key", &args.consumer_key),
            service_name: need("service-name", &args.service_name),
        }),
    };
    let mut checked = |flag: &str, result: Result<(), String>| {
        if let Err(reason) = result {
            problems.push(format!("--{flag}: {reason}"));
        }
    };
    let kind = provider.as_ref().map_or(ProviderKind::Twilio, ProviderAnswers::kind);
    let mut answers = Answers {
        lang,
        tenant: tenant.clone(),
        provider: provider
            .clone()
            .unwrap_or(ProviderAnswers::Twilio { account_sid: String::new(), auth_token: String::new() }),
        number: antirelou_domain::PhoneNumber::parse("+33939000000").expect("a valid placeholder"),
        reply: answers::default_reply(lang).to_owned(),
        price_per_segment: answers::default_price(kind),
        daily_cap: answers::DEFAULT_DAILY_CAP,
        monthly_cap: answers::DEFAULT_MONTHLY_CAP,
        prepaid: args.prepaid,
        public_url: public_url.clone(),
    };
    if !tenant.is_empty() {
        checked("tenant", answers::tenant_id(lang, &tenant).map(|_| ()));
    }
    if !number.is_empty() {
        match answers::our_number(lang, &number) {
            Ok(parsed) => answers.number = parsed,
            Err(reason) => checked("number", Err(reason)),
        }
    }
    if !public_url.is_empty() {
        match answers::public_url(lang, &public_url) {
            Ok(url) => answers.public_url = url,
            Err(reason) => checked("public-url", Err(reason)),
        }
    }
    if let Some(reply) = &args.reply {
        match answers::reply(lang, reply) {
            Ok(reply) => answers.reply = reply,
            Err(reason) => checked("reply", Err(reason)),
        }
    }
    for (flag, given, target, positive) in [
        ("price-per-segment", &args.price_per_segment, &mut answers.price_per_segment, false),
        ("daily-cap", &args.daily_cap, &mut answers.daily_cap, true),
        ("monthly-cap", &args.monthly_cap, &mut answers.monthly_cap, true),
    ] {
        if let Some(given) = given {
            match answers::amount(lang, given, positive) {
                Ok(amount) => *target = amount,
                Err(reason) => problems.push(format!("--{flag}: {reason}")),
            }
        }
    }
    if problems.is_empty() {
        // The settings' own checks, each problem named by its flag.
        for (key, reason) in answers::settings_problems(&answers) {
            problems.push(format!("{}: {reason}", flag_of(&key)));
        }
    }
    if problems.is_empty() {
        Ok(answers)
    } else {
        Err(problems)
    }
}

/// The flag that gives the settings key `key`.
fn flag_of(key: &str) -> String {
    let last = key.rsplit('.').next().unwrap_or(key);
    match last {
        "id" => "--tenant".to_owned(),
        other => format!("--{}", other.replace('_', "-")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_settings_key_is_named_by_its_flag() {
        assert_eq!(flag_of("tenants[0].provider.account_sid"), "--account-sid");
        assert_eq!(flag_of("tenants[0].numbers[0].price_per_segment"), "--price-per-segment");
        assert_eq!(flag_of("server.public_url"), "--public-url");
        assert_eq!(flag_of("tenants[0].id"), "--tenant");
    }
}
