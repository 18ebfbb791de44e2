//! The questions of `antirelou init`, in French or English (dialoguer).
//! Each answer is checked as it is given; a refused answer is asked again
//! with the reason. The reply is typed in a line of its own that shows, as
//! it is typed, how many SMS it takes, what it costs and which characters
//! make it dearer.

use antirelou_domain::{Money, PhoneNumber, ProviderKind};
use anyhow::Context;
use dialoguer::console::{measure_text_width, Key, Term};
use dialoguer::theme::ColorfulTheme;
use dialoguer::{Confirm, Input, Password, Select};

use super::answers::{self, Answers, ProviderAnswers};
use super::Lang;
use crate::cli::InitArgs;

/// Asks every question; `None` when the person stopped (Escape in the reply line).
pub fn answers(args: &InitArgs, lang: Lang) -> anyhow::Result<Option<Answers>> {
    let term = Term::stderr();
    if !term.is_term() {
        anyhow::bail!(
            "{}",
            lang.pick(
                "les questions ont besoin d'un terminal : lancez `antirelou init` dans un terminal, ou donnez les \
                 réponses en options avec --non-interactive (antirelou init --help)",
                "the questions need a terminal: run `antirelou init` in one, or give the answers as flags with \
                 --non-interactive (antirelou init --help)"
            )
        );
    }
    let theme = ColorfulTheme::default();
    let lang = match args.lang {
        Some(_) => lang,
        None => {
            let chosen = Select::with_theme(&theme)
                .with_prompt("Langue / Language")
                .items(["Français", "English"])
                .default(if lang == Lang::Fr { 0 } else { 1 })
                .interact_on(&term)
                .context("reading the answer")?;
            if chosen == 0 {
                Lang::Fr
            } else {
                Lang::En
            }
        }
    };
    let say = |fr: &'static str, en: &'static str| lang.pick(fr, en);
    term.write_line(say(
        "\nQuelques questions pour écrire la configuration de votre numéro. Entrée garde la valeur proposée.\n",
        "\nA few questions to write your number's configuration. Enter keeps the value shown.\n",
    ))?;

    let tenant: String = Input::with_theme(&theme)
        .with_prompt(say(
            "Nom court de votre collectif (minuscules, chiffres, - et _)",
            "Short name of your collective (lowercase, digits, - and _)",
        ))
        .validate_with(|text: &String| answers::tenant_id(lang, text).map(|_| ()))
        .interact_text_on(&term)?;
    let tenant = answers::tenant_id(lang, &tenant).unwrap_or(tenant);

    let kinds = [ProviderKind::Ovh, ProviderKind::Twilio, ProviderKind::Vonage, ProviderKind::Plivo];
    let labels = [
        say(
            "OVHcloud (numéros 09 français, relevés par antirelou)",
            "OVHcloud (French 09 numbers, fetched by antirelou)",
        ),
        "Twilio",
        "Vonage",
        "Plivo",
    ];
    let kind = kinds[Select::with_theme(&theme)
        .with_prompt(say("Votre opérateur SMS", "Your SMS provider"))
        .items(labels)
        .default(0)
        .interact_on(&term)?];
    let mut draft = placeholder(lang, &tenant, kind);
    draft.provider = provider(&term, &theme, lang, kind, &draft)?;

    loop {
        let typed: String = Input::with_theme(&theme)
            .with_prompt(say("Le numéro qui répond (09 39 12 34 56)", "The number that answers (09 39 12 34 56)"))
            .validate_with(|text: &String| answers::our_number(lang, text).map(|_| ()))
            .interact_text_on(&term)?;
        let number = answers::our_number(lang, &typed).unwrap_or_else(|_| draft.number.clone());
        term.write_line(&format!("  → {number}"))?;
        if let Some(warning) = answers::number_warning(lang, &number) {
            term.write_line(&format!("  ! {warning}"))?;
            let keep = Confirm::with_theme(&theme)
                .with_prompt(say("Garder ce numéro quand même ?", "Keep this number anyway?"))
                .default(false)
                .interact_on(&term)?;
            if !keep {
                continue;
            }
        }
        draft.number = number;
        break;
    }

    draft.price_per_segment = amount(
        &term,
        &theme,
        lang,
        say("Prix d'un SMS envoyé chez votre opérateur, en €", "Price of one SMS sent with your provider, in €"),
        draft.price_per_segment,
        false,
    )?;
    let Some(reply) = reply_line(&term, lang, &draft)? else { return Ok(None) };
    draft.reply = reply;

    let cost = reply_cost(&draft);
    draft.daily_cap = amount(
        &term,
        &theme,
        lang,
        say("Au plus combien par jour pour ce numéro, en €", "At most how much a day for this number, in €"),
        draft.daily_cap,
        true,
    )?;
    term.write_line(&format!(
        "  → {} {}",
        answers::replies_afforded(draft.daily_cap, cost),
        say("réponses par jour au plus", "replies a day at most")
    ))?;
    draft.monthly_cap = amount(
        &term,
        &theme,
        lang,
        say("Au plus combien par mois pour le collectif, en €", "At most how much a month for the collective, in €"),
        draft.monthly_cap,
        true,
    )?;
    term.write_line(&format!(
        "  → {} {}",
        answers::replies_afforded(draft.monthly_cap, cost),
        say("réponses par mois au plus", "replies a month at most")
    ))?;
    draft.prepaid = Confirm::with_theme(&theme)
        .with_prompt(say(
            "Payer les réponses avec un solde prépayé, crédité dans la console ?",
            "Pay replies from a prepaid balance, credited in the console?",
        ))
        .default(false)
        .interact_on(&term)?;

    let url: String = Input::with_theme(&theme)
        .with_prompt(say(
            "L'adresse publique de votre serveur (https://sms.mon-collectif.fr)",
            "Your server's public address (https://sms.my-collective.org)",
        ))
        .validate_with(|text: &String| answers::public_url(lang, text).map(|_| ()))
        .interact_text_on(&term)?;
    draft.public_url = answers::public_url(lang, &url).unwrap_or(url);
    Ok(Some(draft))
}

/// Valid answers to start from: each question replaces one.
fn placeholder(lang: Lang, tenant: &str, kind: ProviderKind) -> Answers {
    Answers {
        lang,
        tenant: tenant.to_owned(),
        provider: ProviderAnswers::Twilio { account_sid: String::new(), auth_token: String::new() },
        number: PhoneNumber::parse("+33939000000").expect("a valid placeholder"),
        reply: answers::default_reply(lang).to_owned(),
        price_per_segment: answers::default_price(kind),
        daily_cap: answers::DEFAULT_DAILY_CAP,
        monthly_cap: answers::DEFAULT_MONTHLY_CAP,
        prepaid: false,
        public_url: "https://sms.example.org".to_owned(),
    }
}

/// The provider account, each field checked by the settings' own rules.
fn provider(
    term: &Term,
    theme: &ColorfulTheme,
    lang: Lang,
    kind: ProviderKind,
    draft: &Answers,
) -> anyhow::Result<ProviderAnswers> {
    // A field is checked in a draft where the other fields are valid.
    let check = |field: &'static str, value: &str| -> Result<(), String> {
        let mut candidate = draft.clone();
        candidate.provider = filled(kind, field, value);
        match answers::settings_problem(&candidate, &format!("tenants[0].provider.{field}")) {
            Some(reason) => Err(reason),
            None => Ok(()),
        }
    };
    let public = |prompt: &str, field: &'static str| -> anyhow::Result<String> {
        let text: String = Input::with_theme(theme)
            .with_prompt(prompt)
            .validate_with(|text: &String| check(field, text.trim()))
            .interact_text_on(term)?;
        Ok(text.trim().to_owned())
    };
    let secret = |prompt: &str| -> anyhow::Result<String> {
        let text = Password::with_theme(theme).with_prompt(prompt).interact_on(term)?;
        Ok(text.trim().to_owned())
    };
    let hidden = lang.pick(" (caché)", " (hidden)");
    Ok(match kind {
        ProviderKind::Twilio => ProviderAnswers::Twilio {
            account_sid: public("Account SID (AC…)", "account_sid")?,
            auth_token: secret(&format!("Auth token{hidden}"))?,
        },
        ProviderKind::Vonage => ProviderAnswers::Vonage {
            api_key: public("API key", "api_key")?,
            api_secret: secret(&format!("API secret{hidden}"))?,
            signature_secret: secret(&format!("Signature secret{hidden}"))?,
        },
        ProviderKind::Plivo => ProviderAnswers::Plivo {
            auth_id: public("Auth ID (MA… / SA…)", "auth_id")?,
            auth_token: secret(&format!("Auth token{hidden}"))?,
        },
        ProviderKind::Ovh => ProviderAnswers::Ovh {
            endpoint: "ovh-eu".to_owned(),
            application_key: public("Application key", "application_key")?,
            application_secret: secret(&format!("Application secret{hidden}"))?,
            consumer_key: secret(&format!("Consumer key{hidden}"))?,
            service_name: public(
                lang.pick("Compte SMS (sms-ab12345-1)", "SMS account (sms-ab12345-1)"),
                "service_name",
            )?,
        },
    })
}

/// A provider account of `kind` whose `field` is `value` and whose other
/// fields are valid, to check `field` alone.
fn filled(kind: ProviderKind, field: &str, value: &str) -> ProviderAnswers {
    let pick = |name: &str, valid: &str| if name == field { value.to_owned() } else { valid.to_owned() };
    match kind {
        ProviderKind::Twilio => ProviderAnswers::Twilio {
            account_sid: pick("account_sid", "AC0123456789abcdef0123456789abcdef"),
            auth_token: pick("auth_token", "a-token"),
        },
        ProviderKind::Vonage => ProviderAnswers::Vonage {
            api_key: pick("api_key", "abcd1234"),
            api_secret: pick("api_secret", "a-secret"),
            signature_secret: pick("signature_secret", "a-signature-secret"),
        },
        ProviderKind::Plivo => ProviderAnswers::Plivo {
            auth_id: pick("auth_id", "MA0123456789ABCDEFGH"),
            auth_token: pick("auth_token", "a-token"),
        },
        ProviderKind::Ovh => ProviderAnswers::Ovh {
            endpoint: pick("endpoint", "ovh-eu"),
            application_key: pick("application_key", "abcd1234"),
            application_secret: pick("application_secret", "a-secret"),
            consumer_key: pick("consumer_key", "a-consumer-key"),
            service_name: pick("service_name", "sms-ab12345-1"),
        },
    }
}

/// An amount in €, with either decimal mark.
fn amount(
    term: &Term,
    theme: &ColorfulTheme,
    lang: Lang,
    prompt: &str,
    default: Money,
    positive: bool,
) -> anyhow::Result<Money> {
    let shown = answers::money(lang, default).trim_end_matches(" €").trim_start_matches('€').to_owned();
    let text: String = Input::with_theme(theme)
        .with_prompt(prompt)
        .default(shown)
        .validate_with(|text: &String| answers::amount(lang, text, positive).map(|_| ()))
        .interact_text_on(term)?;
    Ok(answers::amount(lang, &text, positive).unwrap_or(default))
}

/// The cost of one reply of `draft`.
fn reply_cost(draft: &Answers) -> Money {
    let segments = antirelou_domain::segments::count(&draft.reply).segments;
    Money::from_micros(draft.price_per_segment.micros().saturating_mul(i64::from(segments)))
}

/// The reply, typed on a line of its own under a status line that says, at
/// every key, its SMS count, its cost and the characters that make it
/// dearer. Starts from the current reply: Enter keeps it, Backspace
/// erases, Escape stops `init`. `None` on Escape.
fn reply_line(term: &Term, lang: Lang, draft: &Answers) -> anyhow::Result<Option<String>> {
    term.write_line(lang.pick(
        "Votre réponse (Entrée pour la garder, Retour arrière pour effacer, Échap pour arrêter) :",
        "Your reply (Enter keeps it, Backspace erases, Escape stops):",
    ))?;
    let mut text = draft.reply.clone();
    let mut error: Option<String> = None;
    let mut shown_rows = 0;
    loop {
        let status = match &error {
            Some(reason) => format!("  ! {reason}"),
            None => format!("  → {}", answers::reply_cost(lang, &text, draft.price_per_segment)),
        };
        term.clear_last_lines(shown_rows)?;
        let line = format!("> {text}");
        term.write_line(&line)?;
        term.write_line(&status)?;
        shown_rows = rows(term, &line) + rows(term, &status);
        match term.read_key()? {
            Key::Enter => match answers::reply(lang, &text) {
                Ok(reply) => return Ok(Some(reply)),
                Err(reason) => error = Some(reason),
            },
            Key::Escape => return Ok(None),
            Key::Backspace => {
                text.pop();
                error = None;
            }
            Key::Char(c) if !c.is_control() => {
                text.push(c);
                error = None;
            }
            _ => {}
        }
    }
}

/// How many terminal rows `line` takes.
fn rows(term: &Term, line: &str) -> usize {
    let columns = usize::from(term.size().1.max(1));
    measure_text_width(line).max(1).div_ceil(columns)
}
