//! Every word the console shows, in French (the default) and English, in
//! one table: a page names a [`T`] and never spells a string itself.
//!
//! The language is the `lang` cookie when the visitor chose one (the switch
//! link), else the first of `fr`/`en` in `Accept-Language`, else French.

use actix_web::HttpRequest;

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
    ($($key:ident => $fr:literal, $en:literal;)*) => {
        /// One text of the console.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum T { $($key,)* }

        impl T {
            pub const ALL: &'static [T] = &[$(T::$key,)*];

            /// The text in `lang`.
            pub const fn get(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((T::$key, Lang::Fr) => $fr, (T::$key, Lang::En) => $en,)*
                }
            }
        }
    };
}

texts! {
    Console => "Console anti-relou", "anti-relou console";
    LanguageName => "Français", "English";
    SwitchLanguage => "English", "Français";
    SkipToContent => "Aller au contenu", "Skip to content";
    SignIn => "Se connecter", "Sign in";
    SignOut => "Se déconnecter", "Sign out";
    SignInIntro => "Entrez le jeton d'administration de votre collectif (ou le jeton d'opérateur).", "Enter your collective's admin token (or the operator token).";
    Token => "Jeton", "Token";
    WrongToken => "Jeton inconnu.", "Unknown token.";
    TooManyAttempts => "Trop d'essais depuis cette adresse : réessayez dans une minute.", "Too many attempts from this address: try again in a minute.";
    SignedInAs => "Connecté·e :", "Signed in:";
    Operator => "opérateur (tous les collectifs)", "operator (every collective)";
    Tenant => "Collectif", "Collective";
    Navigation => "Navigation", "Navigation";
    Overview => "Vue d'ensemble", "Overview";
    Number => "Numéro", "Number";
    Numbers => "Numéros", "Numbers";
    Blocklist => "Numéros bloqués", "Block list";
    Money => "Argent", "Money";
    Alerts => "Alertes", "Alerts";
    Attacks => "Attaques", "Attacks";
    Attack => "Attaque", "Attack";
    AttacksIntro => "Chaque fois que le numéro a été inondé de messages et s'est protégé, les plus récentes d'abord. Pour chacune, un dossier à remettre à la police.", "Each time the number was flooded with messages and protected itself, newest first. For each, a file to hand to the police.";
    NoAttack => "Aucune attaque pour l'instant.", "No attack so far.";
    AttackStart => "Début", "Start";
    AttackEnd => "Fin", "End";
    StillOn => "en cours", "still going on";
    Messages => "Messages reçus", "Messages received";
    NewSenders => "Expéditeurs (au moins)", "Senders (at least)";
    Flooders => "Expéditeurs qui inondaient", "Senders flooding the number";
    RepliesSent => "Réponses envoyées", "Replies sent";
    Spent => "Dépensé", "Spent";
    SavedByShield => "Épargné par la protection", "Saved by the protection";
    TheFile => "Le dossier pour porter plainte", "The file for a complaint";
    DownloadFile => "Télécharger le dossier (ZIP)", "Download the file (ZIP)";
    FileHasSenders => "Le dossier contient un rapport en français, les volumes par tranche de 10 minutes et le fichier senders.csv.age : les numéros qui inondaient, leurs dates, leur nombre de messages et quelques-uns de leurs textes. Ce fichier est chiffré pour la clé de votre collectif : ni la plateforme ni son hébergeur ne peuvent le lire.", "The file holds a report in French, the volumes per 10 minutes and senders.csv.age: the numbers that flooded, their dates, their message counts and a few of their texts. That file is encrypted to your collective's key: neither the platform nor its host can read it.";
    FileWithoutSenders => "Le dossier contient un rapport en français et les volumes par tranche de 10 minutes. Aucun numéro d'expéditeur n'a été gardé : pour les garder lors des prochaines attaques, chiffrés pour vous seul·es, demandez à votre hébergeur d'ajouter la clé publique de votre collectif (voir ci-dessous).", "The file holds a report in French and the volumes per 10 minutes. No sender's number was kept: to keep them in future attacks, encrypted for you alone, ask your host to add your collective's public key (see below).";
    OpenTheFile => "Ouvrir le fichier des expéditeurs", "Opening the senders file";
    OpenTheFileIntro => "Il s'ouvre avec age, un logiciel libre (paquet « age » sous Debian et Ubuntu, « brew install age » sur Mac, age-encryption.org pour Windows), et la clé secrète de votre collectif. Cette clé se crée une fois, sur l'ordinateur d'une personne du collectif, avec « age-keygen -o cle-du-collectif.txt » : la ligne « Public key: age1… » qu'elle affiche est la clé publique à donner à votre hébergeur. Pour ouvrir le fichier :", "It opens with age, a free program (package \"age\" on Debian and Ubuntu, \"brew install age\" on a Mac, age-encryption.org for Windows), and your collective's secret key. That key is made once, on a collective member's computer, with \"age-keygen -o cle-du-collectif.txt\": the \"Public key: age1…\" line it prints is the public key to give your host. To open the file:";
    KeepTheKey => "Gardez cle-du-collectif.txt en lieu sûr (une clé USB rangée, un gestionnaire de mots de passe) et ne l'envoyez jamais, ni à la plateforme ni à personne : sans elle, personne ne peut lire les numéros, pas même vous.", "Keep cle-du-collectif.txt somewhere safe (a USB stick in a drawer, a password manager) and never send it, to the platform or anyone: without it nobody can read the numbers, not even you.";
    FileAComplaint => "Porter plainte", "Filing a complaint";
    ComplaintStep1 => "Téléchargez le dossier ci-dessus et ouvrez le fichier des expéditeurs avec votre clé : gardez senders.csv avec le dossier.", "Download the file above and open the senders file with your key: keep senders.csv with the file.";
    ComplaintStep2 => "Vous pouvez commencer par une pré-plainte en ligne (pre-plainte-en-ligne.gouv.fr) : elle vous donne un rendez-vous.", "You may start with an online pre-complaint (pre-plainte-en-ligne.gouv.fr): it gives you an appointment.";
    ComplaintStep3 => "Allez au commissariat ou à la brigade de gendarmerie avec le dossier sur une clé USB et le rapport (report.html) imprimé. Les faits peuvent relever de l'entrave au fonctionnement d'un système de traitement automatisé de données (article 323-2 du Code pénal).", "Go to a police station (commissariat) or a gendarmerie brigade with the file on a USB stick and the report (report.html) printed. The facts may be obstructing an automated data processing system (French penal code, art. 323-2).";
    ComplaintStep4 => "Remettez tout le dossier : le fichier manifest.json et sa signature permettent de vérifier que rien n'a été modifié.", "Hand over the whole file: manifest.json and its signature let anyone check nothing was changed.";
    State => "État", "State";
    Paused => "En pause", "Paused";
    Answering => "Répond", "Answering";
    Shield => "Bouclier", "Shield";
    ShieldOn => "Bouclier actif", "Shield on";
    ShieldOff => "Bouclier inactif", "Shield off";
    Pause => "Mettre en pause", "Pause";
    Resume => "Reprendre", "Resume";
    PausedDone => "Le numéro est en pause : personne ne reçoit de réponse.", "The number is paused: nobody gets a reply.";
    ResumedDone => "Le numéro répond de nouveau.", "The number answers again.";
    SpendToday => "Dépenses", "Spend";
    NumberDaily => "Plafond du jour (numéro)", "Daily cap (number)";
    TenantMonthly => "Plafond du mois (collectif)", "Monthly cap (collective)";
    DeploymentMonthly => "Plafond du mois (tout le service)", "Monthly cap (whole service)";
    NoCap => "sans plafond", "no cap";
    Of => "sur", "of";
    Balance => "Solde prépayé", "Prepaid balance";
    Reached => "atteint", "reached";
    DecisionsToday => "Messages d'aujourd'hui (à 10 secondes près)", "Today's messages (up to 10 seconds behind)";
    Decision => "Décision", "Decision";
    OutcomePaused => "en pause", "paused";
    OutcomeBlocked => "numéro bloqué", "blocked number";
    OutcomeDuplicate => "renvoi du même message par l'opérateur (compté une fois)", "the same message sent again by the provider (counted once)";
    OutcomeOptedOut => "désinscrit (STOP)", "opted out (STOP)";
    OutcomeNotAPhone => "pas un numéro de téléphone", "not a phone number";
    OutcomeRepeatSender => "déjà répondu", "already answered";
    OutcomeCountryNotAllowed => "pays non autorisé", "country not allowed";
    OutcomeDeferred => "mis en attente (réponse décidée plus tard)", "put on hold (reply decided later)";
    OutcomeShielded => "retenu par le bouclier", "held by the shield";
    OutcomeBudgetExhausted => "budget épuisé", "budget exhausted";
    OutcomeRateLimited => "trop de réponses cette minute", "too many replies this minute";
    OutcomeOverloaded => "surcharge", "overloaded";
    OutcomeLedgerUnavailable => "registre indisponible", "ledger unavailable";
    OutcomeReplied => "réponse envoyée", "replied";
    SinceTopUp => "depuis la recharge du", "since the top-up of";
    FloodOn => "Inondation sur le", "Flood on";
    ShieldUntil => "bouclier actif jusqu'au", "shield on until";
    FloodOver => "Fin de l'inondation sur le", "The flood is over on";
    ShieldOffNow => "bouclier inactif", "shield off";
    NoBalance => "Aucun crédit prépayé.", "No prepaid credit.";
    BudgetExhausted => "Budget épuisé :", "Budget exhausted:";
    Last24h => "Dernières 24 heures", "Last 24 hours";
    ReplySentOne => "réponse envoyée", "reply sent";
    ReplySentOther => "réponses envoyées", "replies sent";
    ChartPartial => "Beaucoup d'écritures : le graphique ne montre que les premières.", "Many entries: the chart shows only the first ones.";
    HourAgo => "il y a 24 h", "24 h ago";
    Now => "maintenant", "now";
    Reply => "Réponse automatique", "Automatic reply";
    ReplyHelp => "Le texte envoyé une fois à chaque personne qui écrit.", "The text sent once to each person who writes.";
    Characters => "Caractères", "Characters";
    Encoding => "Encodage", "Encoding";
    Segments => "Segments SMS", "SMS segments";
    CostPerReply => "Coût par réponse", "Cost per reply";
    Ucs2Intro => "Ces caractères raccourcissent chaque SMS (70 caractères au lieu de 160), donc la réponse peut coûter plus cher :", "These characters make each SMS shorter (70 characters instead of 160), so the reply may cost more:";
    ReplaceableBy => "remplaçable par", "can be replaced by";
    NoEquivalent => "sans équivalent", "no equivalent";
    ReplaceUcs2 => "Remplacer ces caractères par leur équivalent", "Replace these characters by their equivalent";
    Replaced => "Caractères remplacés : relisez la réponse, puis enregistrez-la.", "Characters replaced: read the reply again, then save it.";
    TooManySegments => "Trop long : au plus 10 segments.", "Too long: at most 10 segments.";
    SaveReply => "Enregistrer la réponse", "Save the reply";
    CapsAndShield => "Plafonds et bouclier", "Caps and shield";
    MaxRepliesPerMinute => "Réponses par minute au plus", "Replies per minute at most";
    ShieldTrigger => "Bouclier : messages par minute qui le déclenchent", "Shield: messages per minute that trigger it";
    Save => "Enregistrer", "Save";
    Saved => "Enregistré : tous les serveurs l'appliquent.", "Saved: every server applies it.";
    EmptyIsNoCap => "Plafond du jour vide : pas de plafond.", "Empty daily cap: no cap.";
    Blocked => "Bloqué.", "Blocked.";
    NotANumber => "Ce n'est pas un numéro de téléphone complet (exemples : 06 11 22 33 44, +33 6 11 22 33 44).", "Not a complete phone number (examples: 06 11 22 33 44, +33 6 11 22 33 44).";
    Unblocked => "Débloqué.", "Unblocked.";
    AlertsWebhook => "Toutes les alertes, bouclier compris, sont aussi envoyées à l'adresse d'alerte du collectif (sa messagerie).", "Every alert, the shield's too, is also sent to the collective's alert address (its chat).";
    Alert => "Alerte", "Alert";
    DeferredOne => "personne en attente d'une réponse (elle sera décidée dans les minutes qui viennent)", "person waiting for a reply (decided in the coming minutes)";
    DeferredOther => "personnes en attente d'une réponse (elle sera décidée dans les minutes qui viennent)", "people waiting for a reply (decided in the coming minutes)";
    BlocklistIntro => "Un numéro bloqué ne reçoit plus jamais de réponse. Il est rendu illisible dès réception : personne ne peut le relire ici, pas même vous. Donnez-lui une étiquette pour le reconnaître.", "A blocked number never gets a reply again. It is made unreadable on arrival: nobody can read it back here, not even you. Give it a label to recognise it.";
    PhoneNumber => "Numéro (comme vous l'écrivez : 06 11 22 33 44 ou +33 6 11 22 33 44)", "Number (as you write it: 06 11 22 33 44 or +33 6 11 22 33 44)";
    Label => "Étiquette", "Label";
    Add => "Bloquer", "Block";
    Remove => "Débloquer", "Unblock";
    NoLabel => "(sans étiquette)", "(no label)";
    Since => "Depuis", "Since";
    Donations => "Dons", "Donations";
    NoDonationYet => "Aucun don reçu pour l'instant.", "No donation received yet.";
    DonationPlatform => "Plateforme", "Platform";
    PaymentNumber => "N° du paiement", "Payment number";
    Refunded => "Remboursé le", "Refunded on";
    RepliesLeft => "réponses", "replies";
    NoneYet => "Rien pour l'instant.", "Nothing yet.";
    TopUp => "Créditer", "Top up";
    Amount => "Montant", "Amount";
    Note => "Note", "Note";
    Credited => "Crédité. Nouveau solde :", "Credited. New balance:";
    CapNotPositive => "Le plafond doit être plus que zéro (laissez le champ vide pour ne pas avoir de plafond).", "The cap must be more than zero (leave the field empty for no cap).";
    WholeNumberNeeded => "Écrivez un nombre entier, au moins 1.", "Write a whole number, at least 1.";
    ReplyEmpty => "La réponse ne peut pas être vide.", "The reply cannot be empty.";
    ValueRefused => "Cette modification n'a pas pu être enregistrée : vérifiez les champs.", "This change could not be saved: check the fields.";
    AmountNotPositive => "Le montant doit être positif.", "The amount must be positive.";
    AmountInvalid => "Montant illisible (exemple : 10,00).", "Unreadable amount (example: 10.00).";
    Entries => "Écritures", "Entries";
    DownloadCsv => "Télécharger en CSV", "Download as CSV";
    When => "Quand", "When";
    Kind => "Nature", "Kind";
    Count => "Nombre", "Count";
    KindReply => "réponse", "reply";
    KindInbound => "message reçu", "message received";
    KindTopUp => "recharge", "top-up";
    KindDonation => "don", "donation";
    KindCall => "appel décroché", "call answered";
    KindCallSettled => "appel terminé : rendu sur la réservation", "call ended: given back from its reservation";
    KindRefund => "remboursement", "refund";
    Reference => "Référence", "Reference";
    OlderEntries => "Écritures suivantes", "Next entries";
    AlertsIntro => "Les alertes envoyées à votre collectif, les plus récentes d'abord : budget (50, 80 et 100 % de chaque plafond et du solde prépayé) et bouclier (une inondation commence ou finit).", "The alerts sent to your collective, newest first: budget (50, 80 and 100 % of each cap and of the prepaid balance) and shield (a flood starts or ends).";
    LedgerUnavailable => "Le registre est indisponible : réessayez.", "The ledger is unavailable: try again.";
    ExportsBusy => "Deux téléchargements de votre collectif sont déjà en cours : réessayez dans une minute.", "Two downloads of your collective are already running: try again in a minute.";
    NotFound => "Page introuvable.", "Page not found.";
    FormRefused => "Modification refusée", "Change refused";
    GoBack => "Retour", "Back";
    NotPrepaid => "Votre collectif n'est pas prépayé : ses réponses sont payées par l'équipe qui fait tourner le service, dans la limite de ses plafonds, et non par un solde. Un crédit ne paierait donc rien. Pour payer vos réponses avec un solde (crédité ici ou par vos dons ; les réponses s'arrêtent quand il est vide), demandez-lui d'écrire prepaid = true pour votre collectif dans la configuration.", "Your collective is not prepaid: its replies are paid by the team that runs the service, within its caps, not from a balance. A top-up would pay for nothing. To pay your replies from a balance (credited here or by your donations; replies stop when it is empty), ask them to write prepaid = true for your collective in the configuration.";
    AmountTooLarge => "Ce montant porterait le solde au-delà de son maximum.", "This amount would take the balance over its maximum.";
    BadCursor => "Cette page de la liste n'existe pas : revenez à la première.", "This page of the list does not exist: go back to the first.";
    BadForm => "Formulaire refusé (jeton de formulaire absent ou périmé) : rechargez la page.", "Form refused (missing or stale form token): reload the page.";
    NoNumbers => "Aucun numéro.", "No numbers.";
    ActorUnavailable => "Le numéro ne répond pas : réessayez.", "The number does not answer: try again.";
    HealthTitle => "Est-ce que ça marche ?", "Is it working?";
    HealthSince => "depuis le", "since";
    HealthShielded => "Répond, bouclier levé", "Answering, shield up";
    HealthOutOfMoney => "Plus d'argent pour répondre", "No money left to reply";
    HealthFailing => "En panne", "Not working";
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

    #[test]
    fn every_text_exists_in_both_languages_and_differs_where_it_should() {
        for text in T::ALL {
            for lang in Lang::ALL {
                assert!(!text.get(lang).is_empty(), "{text:?} in {lang:?}");
            }
        }
        assert_ne!(T::SignIn.get(Lang::Fr), T::SignIn.get(Lang::En));
        assert_eq!(T::SwitchLanguage.get(Lang::Fr), T::LanguageName.get(Lang::En));
    }
}
