//! Every word the console shows, in French (the default) and English, in
//! Project Fluent files (`locales/fr.ftl`, `locales/en.ftl`, built into the
//! binary): a page names a [`T`] and never spells a string itself. A count
//! takes the plural form of its language from Fluent's selectors
//! (`{ $count -> [one] … *[other] … }`; French "one" is 0 and 1, English
//! only 1).
//!
//! The language is the `lang` cookie when the visitor chose one (the switch
//! link), else the first of `fr`/`en` in `Accept-Language`, else French.

use std::borrow::Cow;
use std::sync::LazyLock;

use actix_web::HttpRequest;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// A language of the console.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

/// The cookie that remembers the visitor's choice.
pub const LANG_COOKIE: &str = "antirelou_lang";

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    /// The ISO 639-1 code (`lang` attribute, cookie, switch link).
    pub const fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code().eq_ignore_ascii_case(code))
    }

    /// The other language (the switch link offers it).
    pub const fn other(self) -> Lang {
        match self {
            Lang::Fr => Lang::En,
            Lang::En => Lang::Fr,
        }
    }

    /// The first language of `Accept-Language` we speak (by weight, then
    /// order), else French.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best: Option<(u16, usize, Lang)> = None;
        for (position, item) in header.split(',').enumerate() {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            let Some(lang) = Lang::from_code(primary) else { continue };
            let weight = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.parse::<f32>().ok())
                .map_or(1000, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16);
            if weight == 0 {
                continue;
            }
            let better = best.is_none_or(|(w, p, _)| weight > w || (weight == w && position < p));
            if better {
                best = Some((weight, position, lang));
            }
        }
        best.map_or(Lang::Fr, |(_, _, lang)| lang)
    }

    /// The request's language: the chosen one (cookie), else `Accept-Language`.
    pub fn of(request: &HttpRequest) -> Lang {
        if let Some(chosen) = request.cookie(LANG_COOKIE).and_then(|c| Lang::from_code(c.value())) {
            return chosen;
        }
        let header =
            request.headers().get(actix_web::http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        Lang::from_accept_language(header)
    }
}

macro_rules! texts {
    ($($key:ident => $id:literal,)*) => {
        /// One text of the console: a message of `locales/fr.ftl` and
        /// `locales/en.ftl`, named by its id.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum T { $($key,)* }

        impl T {
            pub const ALL: &'static [T] = &[$(T::$key,)*];

            /// The message's id in the `.ftl` files.
            pub const fn id(self) -> &'static str {
                match self {
                    $(T::$key => $id,)*
                }
            }
        }
    };
}

texts! {
    Console => "console",
    LanguageName => "language-name",
    SwitchLanguage => "switch-language",
    SkipToContent => "skip-to-content",
    SignIn => "sign-in",
    SignOut => "sign-out",
    SignInIntro => "sign-in-intro",
    Token => "token",
    WrongToken => "wrong-token",
    TooManyAttempts => "too-many-attempts",
    SignedInAs => "signed-in-as",
    Operator => "operator",
    Tenant => "tenant",
    Navigation => "navigation",
    Overview => "overview",
    Number => "number",
    Numbers => "numbers",
    Blocklist => "blocklist",
    Money => "money",
    Alerts => "alerts",
    Attacks => "attacks",
    Attack => "attack",
    AttacksIntro => "attacks-intro",
    NoAttack => "no-attack",
    AttackStart => "attack-start",
    AttackEnd => "attack-end",
    StillOn => "still-on",
    Messages => "messages",
    NewSenders => "new-senders",
    Flooders => "flooders",
    RepliesSent => "replies-sent",
    Spent => "spent",
    SavedByShield => "saved-by-shield",
    TheFile => "the-file",
    DownloadFile => "download-file",
    FileHasSenders => "file-has-senders",
    FileWithoutSenders => "file-without-senders",
    OpenTheFile => "open-the-file",
    OpenTheFileIntro => "open-the-file-intro",
    KeepTheKey => "keep-the-key",
    FileAComplaint => "file-acomplaint",
    ComplaintStep1 => "complaint-step1",
    ComplaintStep2 => "complaint-step2",
    ComplaintStep3 => "complaint-step3",
    ComplaintStep4 => "complaint-step4",
    State => "state",
    Paused => "paused",
    Answering => "answering",
    Shield => "shield",
    ShieldOn => "shield-on",
    ShieldOff => "shield-off",
    Pause => "pause",
    Resume => "resume",
    PausedDone => "paused-done",
    ResumedDone => "resumed-done",
    SpendToday => "spend-today",
    NumberDaily => "number-daily",
    TenantMonthly => "tenant-monthly",
    DeploymentMonthly => "deployment-monthly",
    NoCap => "no-cap",
    Of => "of",
    Balance => "balance",
    Reached => "reached",
    DecisionsToday => "decisions-today",
    Calls => "calls",
    CallsHear => "calls-hear",
    CallLength => "call-length",
    CallSeconds => "call-seconds",
    CallMostCost => "call-most-cost",
    NoVoice => "no-voice",
    CallsToday => "calls-today",
    CallsAnswered => "calls-answered",
    CallsRefused => "calls-refused",
    CallsRefusedWhy => "calls-refused-why",
    Decision => "decision",
    OutcomePaused => "outcome-paused",
    OutcomeBlocked => "outcome-blocked",
    OutcomeDuplicate => "outcome-duplicate",
    OutcomeOptedOut => "outcome-opted-out",
    OutcomeNotAPhone => "outcome-not-aphone",
    OutcomeRepeatSender => "outcome-repeat-sender",
    OutcomeCountryNotAllowed => "outcome-country-not-allowed",
    OutcomeDeferred => "outcome-deferred",
    OutcomeShielded => "outcome-shielded",
    OutcomeBudgetExhausted => "outcome-budget-exhausted",
    OutcomeRateLimited => "outcome-rate-limited",
    OutcomeOverloaded => "outcome-overloaded",
    OutcomeLedgerUnavailable => "outcome-ledger-unavailable",
    OutcomeReplied => "outcome-replied",
    SinceTopUp => "since-top-up",
    FloodOn => "flood-on",
    ShieldUntil => "shield-until",
    FloodOver => "flood-over",
    ShieldOffNow => "shield-off-now",
    NoBalance => "no-balance",
    BudgetExhausted => "budget-exhausted",
    Last24h => "last24h",
    ChartPartial => "chart-partial",
    HourAgo => "hour-ago",
    Now => "now",
    Reply => "reply",
    ReplyHelp => "reply-help",
    Characters => "characters",
    Encoding => "encoding",
    Segments => "segments",
    CostPerReply => "cost-per-reply",
    Ucs2Intro => "ucs2-intro",
    ReplaceableBy => "replaceable-by",
    NoEquivalent => "no-equivalent",
    ReplaceUcs2 => "replace-ucs2",
    Replaced => "replaced",
    TooManySegments => "too-many-segments",
    SaveReply => "save-reply",
    CapsAndShield => "caps-and-shield",
    MaxRepliesPerMinute => "max-replies-per-minute",
    ShieldTrigger => "shield-trigger",
    Save => "save",
    Saved => "saved",
    EmptyIsNoCap => "empty-is-no-cap",
    Blocked => "blocked",
    NotANumber => "not-anumber",
    Unblocked => "unblocked",
    AlertsWebhook => "alerts-webhook",
    Alert => "alert",
    BlocklistIntro => "blocklist-intro",
    PhoneNumber => "phone-number",
    Label => "label",
    Add => "add",
    Remove => "remove",
    NoLabel => "no-label",
    Since => "since",
    Donations => "donations",
    NoDonationYet => "no-donation-yet",
    DonationPlatform => "donation-platform",
    PaymentNumber => "payment-number",
    Refunded => "refunded",
    RepliesLeft => "replies-left",
    NoneYet => "none-yet",
    TopUp => "top-up",
    Amount => "amount",
    Note => "note",
    Credited => "credited",
    CapNotPositive => "cap-not-positive",
    WholeNumberNeeded => "whole-number-needed",
    ReplyEmpty => "reply-empty",
    ValueRefused => "value-refused",
    AmountNotPositive => "amount-not-positive",
    AmountInvalid => "amount-invalid",
    Entries => "entries",
    DownloadCsv => "download-csv",
    When => "when",
    Kind => "kind",
    Count => "count",
    KindReply => "kind-reply",
    KindInbound => "kind-inbound",
    KindTopUp => "kind-top-up",
    KindDonation => "kind-donation",
    KindCall => "kind-call",
    KindCallSettled => "kind-call-settled",
    KindRefund => "kind-refund",
    Reference => "reference",
    OlderEntries => "older-entries",
    AlertsIntro => "alerts-intro",
    LedgerUnavailable => "ledger-unavailable",
    ExportsBusy => "exports-busy",
    NotFound => "not-found",
    FormRefused => "form-refused",
    GoBack => "go-back",
    NotPrepaid => "not-prepaid",
    AmountTooLarge => "amount-too-large",
    BadCursor => "bad-cursor",
    BadForm => "bad-form",
    NoNumbers => "no-numbers",
    ActorUnavailable => "actor-unavailable",
    HealthTitle => "health-title",
    HealthSince => "health-since",
    HealthShielded => "health-shielded",
    HealthOutOfMoney => "health-out-of-money",
    HealthFailing => "health-failing",
    ReplySent => "reply-sent",
    Deferred => "deferred",
    ShieldWhy => "shield-why",
    ShieldWhySurge => "shield-why-surge",
    ShieldWhyBaseline => "shield-why-baseline",
    ShieldWhyMoney => "shield-why-money",
    ShieldWhyUnknown => "shield-why-unknown",
    ShieldNow => "shield-now",
    ShieldNowWho => "shield-now-who",
    ShieldNowWhen => "shield-now-when",
    ShieldNowPace => "shield-now-pace",
    ShieldMoneyLeft => "shield-money-left",
    ShieldNoCap => "shield-no-cap",
    ShieldDo => "shield-do",
    ShieldDoNothing => "shield-do-nothing",
    ShieldDoRaiseCap => "shield-do-raise-cap",
    ShieldDoRaiseCapWhy => "shield-do-raise-cap-why",
    ShieldDoPause => "shield-do-pause",
    ShieldDoPauseWhy => "shield-do-pause-why",
    AttackHelpLink => "attack-help-link",
    DuringAnAttack => "during-an-attack",
    AttackWhat => "attack-what",
    AttackWhatText => "attack-what-text",
    AttackService => "attack-service",
    AttackServiceShield => "attack-service-shield",
    AttackServiceWho => "attack-service-who",
    AttackServiceMoney => "attack-service-money",
    AttackServiceRecord => "attack-service-record",
    AttackDo => "attack-do",
    AttackDoNothing => "attack-do-nothing",
    AttackDoCap => "attack-do-cap",
    AttackDoBlock => "attack-do-block",
    AttackDoEvidence => "attack-do-evidence",
    AttackDont => "attack-dont",
    AttackDontPause => "attack-dont-pause",
    AttackDontNoCap => "attack-dont-no-cap",
    Colon => "colon",
}

/// The `.ftl` source of `lang`.
pub(crate) const fn source(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => include_str!("locales/fr.ftl"),
        Lang::En => include_str!("locales/en.ftl"),
    }
}

/// A value given to a message's variable.
#[derive(Clone, Copy, Debug)]
pub enum Arg<'a> {
    /// A count: it chooses the plural form (`$count -> [one] …`).
    Count(u64),
    /// A text already written for the language (money, a time).
    Text(&'a str),
}

struct Words {
    bundle: FluentBundle<FluentResource>,
    /// Every message formatted without variables, in [`T::ALL`] order.
    plain: Vec<String>,
}

fn words(lang: Lang) -> Words {
    let resource = FluentResource::try_new(source(lang).to_owned())
        .unwrap_or_else(|(_, errors)| panic!("locales/{}.ftl does not parse: {errors:?}", lang.code()));
    let language = lang.code().parse().expect("fr and en are language tags");
    let mut bundle = FluentBundle::new_concurrent(vec![language]);
    // Pages are HTML with a `lang`: no bidirectional isolation marks.
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).expect("one resource a language, no id twice");
    let plain = T::ALL.iter().map(|text| format(&bundle, *text, None).into_owned()).collect();
    Words { bundle, plain }
}

fn format<'b>(bundle: &'b FluentBundle<FluentResource>, text: T, args: Option<&FluentArgs<'_>>) -> Cow<'b, str> {
    let Some(pattern) = bundle.get_message(text.id()).and_then(|m| m.value()) else {
        return Cow::Borrowed(text.id());
    };
    let mut errors = Vec::new();
    bundle.format_pattern(pattern, args, &mut errors)
}

static WORDS: LazyLock<[Words; 2]> = LazyLock::new(|| [words(Lang::Fr), words(Lang::En)]);

const fn index(lang: Lang) -> usize {
    match lang {
        Lang::Fr => 0,
        Lang::En => 1,
    }
}

impl T {
    /// The text in `lang` (a message without variables).
    pub fn get(self, lang: Lang) -> &'static str {
        // The variants are declared in `T::ALL`'s order.
        &WORDS[index(lang)].plain[self as usize]
    }

    /// The text in `lang` with its variables given.
    pub fn with(self, lang: Lang, args: &[(&str, Arg<'_>)]) -> String {
        let mut fluent = FluentArgs::new();
        for (name, value) in args {
            let value = match *value {
                Arg::Count(count) => FluentValue::from(count),
                Arg::Text(text) => FluentValue::from(text),
            };
            fluent.set(*name, value);
        }
        format(&WORDS[index(lang)].bundle, self, Some(&fluent)).into_owned()
    }

    /// `count` and its noun in `lang`'s plural form (`$count`):
    /// `0 réponse envoyée`, `2 réponses envoyées`, `0 replies sent`.
    pub fn count(self, lang: Lang, count: u64) -> String {
        self.with(lang, &[("count", Arg::Count(count))])
    }
}

/// The words of a decision outcome.
pub fn outcome_text(outcome: antirelou_domain::Outcome) -> T {
    use antirelou_domain::Outcome;
    match outcome {
        Outcome::Paused => T::OutcomePaused,
        Outcome::Blocked => T::OutcomeBlocked,
        Outcome::Duplicate => T::OutcomeDuplicate,
        Outcome::OptedOut => T::OutcomeOptedOut,
        Outcome::NotAPhone => T::OutcomeNotAPhone,
        Outcome::RepeatSender => T::OutcomeRepeatSender,
        Outcome::CountryNotAllowed => T::OutcomeCountryNotAllowed,
        Outcome::Deferred => T::OutcomeDeferred,
        Outcome::Shielded => T::OutcomeShielded,
        Outcome::BudgetExhausted => T::OutcomeBudgetExhausted,
        Outcome::RateLimited => T::OutcomeRateLimited,
        Outcome::Overloaded => T::OutcomeOverloaded,
        Outcome::LedgerUnavailable => T::OutcomeLedgerUnavailable,
        Outcome::Replied => T::OutcomeReplied,
    }
}

#[cfg(test)]
mod check;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_is_the_default_and_english_is_chosen_by_accept_language() {
        assert_eq!(Lang::from_accept_language(""), Lang::Fr);
        assert_eq!(Lang::from_accept_language("de-DE,de;q=0.9"), Lang::Fr);
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Lang::En);
        assert_eq!(Lang::from_accept_language("de,en;q=0.5,fr;q=0.8"), Lang::Fr);
        assert_eq!(Lang::from_accept_language("fr;q=0,en"), Lang::En);
    }
}
