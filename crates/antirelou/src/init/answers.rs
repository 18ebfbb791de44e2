//! What `antirelou init` asks, as plain values: [`Answers`] (one
//! collective, its provider account, one number), the defaults, and one
//! check per answer that says in the person's language why an answer
//! cannot be used. The last word is the settings' own: [`settings_problem`]
//! runs the draft through the same validation as `check-config`.

use antirelou_domain::{segments, Money, PhoneNumber, ProviderKind};
use antirelou_settings::Settings;

use super::config_text::{render, Secrets};
use super::Lang;

/// The country whose national numbers `init` reads (`09 39 …`).
pub const COUNTRY: &str = "FR";

/// One collective, as `init` writes it.
#[derive(Clone, Debug)]
pub struct Answers {
    pub lang: Lang,
    pub tenant: String,
    pub provider: ProviderAnswers,
    pub number: PhoneNumber,
    pub reply: String,
    pub price_per_segment: Money,
    pub daily_cap: Money,
    pub monthly_cap: Money,
    pub prepaid: bool,
    pub public_url: String,
}

/// The provider account. The secrets end up in files of their own.
#[derive(Clone, Debug)]
pub enum ProviderAnswers {
    Twilio {
        account_sid: String,
        auth_token: String,
    },
    Vonage {
        api_key: String,
        api_secret: String,
        signature_secret: String,
    },
    Plivo {
        auth_id: String,
        auth_token: String,
    },
    Ovh {
        endpoint: String,
        application_key: String,
        application_secret: String,
        consumer_key: String,
        service_name: String,
    },
}

impl ProviderAnswers {
    pub fn kind(&self) -> ProviderKind {
        match self {
            ProviderAnswers::Twilio { .. } => ProviderKind::Twilio,
            ProviderAnswers::Vonage { .. } => ProviderKind::Vonage,
            ProviderAnswers::Plivo { .. } => ProviderKind::Plivo,
            ProviderAnswers::Ovh { .. } => ProviderKind::Ovh,
        }
    }

    /// Each secret of the account: its key in the provider table (also its
    /// file's name under `secrets/`) and its value.
    pub fn secrets(&self) -> Vec<(&'static str, &str)> {
        match self {
            ProviderAnswers::Twilio { auth_token, .. } | ProviderAnswers::Plivo { auth_token, .. } => {
                vec![("auth_token", auth_token)]
            }
            ProviderAnswers::Vonage { api_secret, signature_secret, .. } => {
                vec![("api_secret", api_secret), ("signature_secret", signature_secret)]
            }
            ProviderAnswers::Ovh { application_secret, consumer_key, .. } => {
                vec![("application_secret", application_secret), ("consumer_key", consumer_key)]
            }
        }
    }

    /// The account's public fields, as `key = "value"` pairs of the provider table.
    pub fn public_fields(&self) -> Vec<(&'static str, &str)> {
        match self {
            ProviderAnswers::Twilio { account_sid, .. } => vec![("account_sid", account_sid)],
            ProviderAnswers::Vonage { api_key, .. } => vec![("api_key", api_key)],
            ProviderAnswers::Plivo { auth_id, .. } => vec![("auth_id", auth_id)],
            ProviderAnswers::Ovh { endpoint, application_key, service_name, .. } => {
                vec![("endpoint", endpoint), ("application_key", application_key), ("service_name", service_name)]
            }
        }
    }
}

/// The reply a collective starts from, in its language.
pub fn default_reply(lang: Lang) -> &'static str {
    lang.pick(
        "Bonjour. Vous avez mis mal à l'aise la personne qui vous a donné ce numéro. Elle ne souhaite pas \
         poursuivre. Non, c'est non. Merci de la laisser tranquille.",
        "Hello. You made the person who gave you this number uncomfortable. She does not wish to go on. \
         No means no. Please leave her alone.",
    )
}

/// What one SMS segment costs by default with `kind` (the figure of
/// docs/providers.md for OVHcloud; the demo's for the others, whose French
/// price lists must be read on the provider's site).
pub fn default_price(kind: ProviderKind) -> Money {
    Money::from_micros(if kind == ProviderKind::Ovh { 50_000 } else { 80_000 })
}

pub const DEFAULT_DAILY_CAP: Money = Money::from_micros(5_000_000);
pub const DEFAULT_MONTHLY_CAP: Money = Money::from_micros(50_000_000);

/// A collective's id: what the settings accept (`[a-z0-9_-]`, 1 to 40).
pub fn tenant_id(lang: Lang, text: &str) -> Result<String, String> {
    let id = text.trim();
    let valid = (1..=40).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if valid {
        Ok(id.to_owned())
    } else {
        Err(lang
            .pick(
                "de 1 à 40 lettres minuscules sans accent, chiffres, - ou _ (par exemple nousaussi-lyon)",
                "1 to 40 lowercase letters without accents, digits, - or _ (for example nousaussi-lyon)",
            )
            .to_owned())
    }
}

/// Our number, typed as a person would (`09 39 12 34 56` or `+33939123456`).
pub fn our_number(lang: Lang, text: &str) -> Result<PhoneNumber, String> {
    PhoneNumber::parse_typed(text, COUNTRY).map_err(|_| {
        lang.pick(
            "ce n'est pas un numéro de téléphone : tapez-le comme 09 39 12 34 56 ou +33939123456",
            "this is not a phone number: type it as 09 39 12 34 56 or +33939123456",
        )
        .to_owned()
    })
}

/// What to say about a number before using it: `None` for a 09 37–09 39
/// number (the range for automatic answers), a warning otherwise.
pub fn number_warning(lang: Lang, number: &PhoneNumber) -> Option<String> {
    let e164 = number.as_str();
    if ["+33937", "+33938", "+33939"].iter().any(|range| e164.starts_with(range)) {
        return None;
    }
    if e164.starts_with("+336") || e164.starts_with("+337") {
        return Some(
            lang.pick(
                "c'est un numéro de mobile (06, 07). En France, un numéro qui répond automatiquement doit être \
                 un numéro « plateforme technique » 09 37 à 09 39 (décision ARCEP 2022-1583) : un opérateur \
                 peut couper un 06 ou 07 qui envoie des réponses automatiques.",
                "this is a mobile number (06, 07). In France a number that answers automatically must be a \
                 \"technical platform\" number, 09 37 to 09 39 (ARCEP decision 2022-1583): an operator may cut \
                 off a 06 or 07 that sends automatic replies.",
            )
            .to_owned(),
        );
    }
    Some(
        lang.pick(
            "les numéros recommandés en France pour répondre automatiquement sont les 09 37 à 09 39.",
            "the numbers recommended in France for automatic replies are 09 37 to 09 39.",
        )
        .to_owned(),
    )
}

/// An amount, typed with either decimal mark (`5,50`, `5.50`); `positive`
/// refuses zero.
pub fn amount(lang: Lang, text: &str, positive: bool) -> Result<Money, String> {
    match Money::parse_typed(text) {
        Ok(money) if positive && money == Money::ZERO => {
            Err(lang.pick("le montant doit être plus grand que zéro", "the amount must be above zero").to_owned())
        }
        Ok(money) => Ok(money),
        Err(_) => Err(lang
            .pick("ce n'est pas un montant : tapez par exemple 5,50", "this is not an amount: type for example 5.50")
            .to_owned()),
    }
}

/// The reply: some text, at most 10 segments.
pub fn reply(lang: Lang, text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(lang.pick("la réponse ne peut pas être vide", "the reply cannot be empty").to_owned());
    }
    let count = segments::count(text);
    if count.segments > 10 {
        return Err(format!(
            "{} ({})",
            lang.pick("trop long : au plus 10 SMS", "too long: at most 10 SMS"),
            count.segments
        ));
    }
    Ok(text.to_owned())
}

/// The public address of the server: `https://` and a host, no path
/// ending in `/webhooks`, no query.
pub fn public_url(lang: Lang, text: &str) -> Result<String, String> {
    let url = text.trim().trim_end_matches('/');
    let parsed = url::Url::parse(url).ok().filter(|u| matches!(u.scheme(), "https" | "http") && u.host().is_some());
    match parsed {
        Some(parsed) if parsed.query().is_none() && parsed.fragment().is_none() => Ok(url.to_owned()),
        _ => Err(lang
            .pick(
                "tapez l'adresse de votre serveur, par exemple https://sms.mon-collectif.fr",
                "type your server's address, for example https://sms.my-collective.org",
            )
            .to_owned()),
    }
}

/// How one reply reads to a person: its SMS count, its cost, and the
/// characters that make it cost more.
pub fn reply_cost(lang: Lang, reply: &str, price: Money) -> String {
    let count = segments::count(reply);
    let cost = Money::from_micros(price.micros().saturating_mul(i64::from(count.segments)));
    let sms = match (lang, count.segments) {
        (Lang::Fr, 0 | 1) => format!("{} SMS", count.segments),
        (Lang::Fr, n) => format!("{n} SMS"),
        (Lang::En, 1) => "1 SMS".to_owned(),
        (Lang::En, n) => format!("{n} SMS"),
    };
    let mut line = format!(
        "{sms}, {} {}, {} {}",
        count.units,
        lang.pick("caractères", "characters"),
        money(lang, cost),
        lang.pick("par réponse", "a reply")
    );
    let forcing = segments::ucs2_characters(reply);
    if !forcing.is_empty() {
        let named: Vec<String> = forcing
            .iter()
            .map(|&c| match segments::gsm7_replacement(c) {
                Some(with) => format!("{c} ({} {with})", lang.pick("remplacez par", "replace with")),
                None => c.to_string(),
            })
            .collect();
        let why = lang.pick(
            "ces caractères font passer à 70 caractères par SMS :",
            "these characters allow only 70 characters an SMS:",
        );
        line.push_str(&format!(" — {why} {}", named.join(", ")));
    }
    line
}

/// `0,08 €` in French, `€0.08` in English.
pub fn money(lang: Lang, amount: Money) -> String {
    let text = amount.to_string();
    match lang {
        Lang::Fr => format!("{} €", text.replace('.', ",")),
        Lang::En => format!("€{text}"),
    }
}

/// How many replies `cap` pays for at `cost` each.
pub fn replies_afforded(cap: Money, cost: Money) -> i64 {
    if cost.micros() <= 0 {
        return 0;
    }
    cap.micros() / cost.micros()
}

/// Every problem `check-config` would report for `answers`, as (key, reason).
pub fn settings_problems(answers: &Answers) -> Vec<(String, String)> {
    let text = render(answers, &Secrets::literal_for_checks(answers), &super::Layout::for_checks());
    match Settings::from_toml_str_with_env(&text, std::iter::empty::<(String, String)>()) {
        Ok(_) => Vec::new(),
        Err(error) => error.problems().iter().map(|p| (p.key.clone(), p.reason.clone())).collect(),
    }
}

/// The problem `check-config` would report at `key` (or below it) for
/// `answers`: the settings' own word on an answer.
pub fn settings_problem(answers: &Answers, key: &str) -> Option<String> {
    settings_problems(answers)
        .into_iter()
        .find(|(at, _)| at == key || at.starts_with(&format!("{key}.")))
        .map(|(_, reason)| reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample() -> Answers {
        Answers {
            lang: Lang::Fr,
            tenant: "nousaussi-lyon".to_owned(),
            provider: ProviderAnswers::Twilio {
                account_sid: "AC0123456789abcdef0123456789abcdef".to_owned(),
                auth_token: "0123456789abcdef0123456789abcdef".to_owned(),
            },
            number: PhoneNumber::parse("+33939123456").unwrap(),
            reply: default_reply(Lang::Fr).to_owned(),
            price_per_segment: Money::from_micros(80_000),
            daily_cap: DEFAULT_DAILY_CAP,
            monthly_cap: DEFAULT_MONTHLY_CAP,
            prepaid: false,
            public_url: "https://sms.example.org".to_owned(),
        }
    }

    #[test]
    fn a_collective_id_is_what_the_settings_accept() {
        for (typed, ok) in [("lyon", true), ("nous-aussi_69", true), ("Lyon", false), ("", false), ("é", false)] {
            assert_eq!(tenant_id(Lang::En, typed).is_ok(), ok, "{typed:?}");
            let answers = Answers { tenant: typed.to_owned(), ..sample() };
            assert_eq!(settings_problem(&answers, "tenants[0].id").is_none(), ok, "{typed:?}");
        }
        assert!(tenant_id(Lang::En, &"a".repeat(41)).is_err());
    }

    #[test]
    fn numbers_are_read_as_typed_and_only_09_37_to_09_39_go_without_a_warning() {
        assert_eq!(our_number(Lang::Fr, "09 39 12 34 56").unwrap().as_str(), "+33939123456");
        assert!(our_number(Lang::Fr, "09 39").unwrap_err().contains("09 39 12 34 56"));
        assert_eq!(number_warning(Lang::En, &our_number(Lang::En, "0937000001").unwrap()), None);
        let mobile = number_warning(Lang::Fr, &our_number(Lang::Fr, "06 11 22 33 44").unwrap()).unwrap();
        assert!(mobile.contains("ARCEP") && mobile.contains("09 37 à 09 39"), "{mobile}");
        assert!(number_warning(Lang::En, &our_number(Lang::En, "01 44 55 66 77").unwrap()).is_some());
    }

    #[test]
    fn amounts_take_either_decimal_mark_and_caps_must_be_above_zero() {
        assert_eq!(amount(Lang::Fr, "5,50", true), Ok(Money::from_micros(5_500_000)));
        assert!(amount(Lang::Fr, "0", true).unwrap_err().contains("plus grand que zéro"));
        assert_eq!(amount(Lang::En, "0", false), Ok(Money::ZERO));
        assert!(amount(Lang::En, "five", true).unwrap_err().contains("5.50"));
    }

    #[test]
    fn the_cost_of_a_reply_names_the_characters_that_make_it_dearer() {
        let plain = reply_cost(Lang::Fr, "Non, c'est non.", Money::from_micros(80_000));
        assert_eq!(plain, "1 SMS, 15 caractères, 0,08 € par réponse");
        let curly = reply_cost(Lang::En, "No, it’s no. «Leave her alone»", Money::from_micros(80_000));
        assert!(curly.starts_with("1 SMS, 30 characters, €0.08 a reply — "), "{curly}");
        assert!(curly.contains("’ (replace with ')") && curly.contains("« (replace with \")"), "{curly}");
        let long = reply_cost(Lang::Fr, &"Laissez-la tranquille ’ ".repeat(4), Money::from_micros(50_000));
        assert!(long.starts_with("2 SMS, 96 caractères, 0,10 € par réponse"), "{long}");
        assert_eq!(replies_afforded(Money::from_micros(5_000_000), Money::from_micros(80_000)), 62);
    }

    #[test]
    fn a_public_url_is_an_address_without_query() {
        assert_eq!(public_url(Lang::En, "https://sms.example.org/").unwrap(), "https://sms.example.org");
        assert!(public_url(Lang::En, "sms.example.org").is_err());
        assert!(public_url(Lang::En, "https://sms.example.org/?a=b").is_err());
        let answers = Answers { public_url: "https://sms.example.org/base".to_owned(), ..sample() };
        assert_eq!(settings_problem(&answers, "server.public_url"), None);
    }

    #[test]
    fn the_sample_answers_pass_the_settings() {
        assert_eq!(settings_problems(&sample()), Vec::<(String, String)>::new());
        let bad = Answers {
            provider: ProviderAnswers::Twilio { account_sid: "AC12".to_owned(), auth_token: "t".to_owned() },
            ..sample()
        };
        let problem = settings_problem(&bad, "tenants[0].provider.account_sid").expect("the settings refuse it");
        assert!(problem.contains("32 hexadecimal digits"), "{problem}");
    }
}
