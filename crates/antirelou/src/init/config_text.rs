//! The files `antirelou init` writes, as text: `antirelou.toml` (commented
//! in the person's language, every secret a `{ file = … }` reference) and
//! the `Caddyfile` of one small server (`deploy/single/Caddyfile` with the
//! host and the ports filled in).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::answers::Answers;
use super::Layout;

/// The secrets `init` generates itself, beside the provider's.
pub const GENERATED: [&str; 4] = ["sender_key", "sealing_key", "operator_token", "admin_token"];

/// How `antirelou.toml` gives each secret.
pub enum Secrets {
    /// `{ file = "DIR/NAME" }`: the real configuration.
    Files { dir: PathBuf },
    /// The values themselves: only to run the settings' checks on a draft.
    Literal(Vec<(String, String)>),
}

impl Secrets {
    /// Values that pass the settings' checks, each different, for a draft.
    pub fn literal_for_checks(answers: &Answers) -> Secrets {
        let mut values: Vec<(String, String)> = GENERATED
            .iter()
            .map(|name| ((*name).to_owned(), format!("draft-{name}-0123456789abcdefghijklmnopqrstuvwxyz")))
            .collect();
        values.extend(answers.provider.secrets().into_iter().map(|(name, value)| (name.to_owned(), value.to_owned())));
        Secrets::Literal(values)
    }

    fn value(&self, name: &str) -> String {
        match self {
            Secrets::Files { dir } => format!("{{ file = {} }}", quoted(&dir.join(name).to_string_lossy())),
            Secrets::Literal(values) => {
                quoted(values.iter().find(|(n, _)| n == name).map_or("", |(_, value)| value.as_str()))
            }
        }
    }
}

/// A TOML basic string.
fn quoted(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

/// `antirelou.toml` for `answers`.
pub fn render(answers: &Answers, secrets: &Secrets, layout: &Layout) -> String {
    let lang = answers.lang;
    let say = |fr: &'static str, en: &'static str| lang.pick(fr, en);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# antirelou: {}\n# {}\n#   antirelou check-config --config {}\n# {}\n",
        say("configuration écrite par `antirelou init`.", "configuration written by `antirelou init`."),
        say(
            "Chaque clé est expliquée dans docs/configuration.md. Vérifiez le fichier après une modification :",
            "Every key is explained in docs/configuration.md. Check the file after a change:"
        ),
        layout.dir.join("antirelou.toml").display(),
        say(
            "Les secrets (clés, jetons) sont dans des fichiers à part, lisibles par root seulement.",
            "The secrets (keys, tokens) are in files of their own, readable by root only."
        ),
    );
    let _ = writeln!(
        out,
        "[server]\n# {}\nlisten = {}\n# {}\nconsole_listen = {}\n# {}\npublic_url = {}\n# {}\nmax_connections_per_ip = 0\n# {}\noperator_token = {}\n",
        say(
            "Les webhooks des opérateurs SMS, derrière Caddy (Caddy y envoie /webhooks/).",
            "The SMS providers' webhooks, behind Caddy (Caddy sends /webhooks/ here)."
        ),
        quoted(&layout.listen),
        say(
            "La console et l'API du collectif (Caddy y envoie /console et /v1) ; le jeton d'opérateur n'y ouvre rien.",
            "The console and the collective's API (Caddy sends /console and /v1 here); the operator token opens nothing there."
        ),
        quoted(&layout.console_listen),
        say(
            "L'adresse publique que l'opérateur SMS appelle et signe.",
            "The public address the SMS provider calls and signs."
        ),
        quoted(&answers.public_url),
        say(
            "Toutes les connexions viennent de Caddy, sur cette machine : pas de limite par adresse ici.",
            "Every connection comes from Caddy, on this machine: no per-address limit here."
        ),
        say(
            "Le jeton d'opérateur : pour `antirelou send` et l'API /v1 sur cette machine seulement.",
            "The operator token: for `antirelou send` and the /v1 API on this machine only."
        ),
        secrets.value("operator_token"),
    );
    let _ = writeln!(
        out,
        "[ledger]\n# {}\nbackend = \"embedded\"\npath = {}\ncurrency = \"EUR\"\ntimezone = \"Europe/Paris\"\n",
        say(
            "Le registre des dépenses : un fichier SQLite sur ce serveur.",
            "The spend ledger: a SQLite file on this server."
        ),
        quoted(&layout.data_dir.join("ledger.sqlite3").to_string_lossy()),
    );
    let _ = writeln!(
        out,
        "[privacy]\n# {}\nsender_key = {}\nsealing_key = {}\n",
        say(
            "Clés générées : ne les changez pas (une nouvelle sender_key oublie tous les expéditeurs).",
            "Generated keys: do not change them (a new sender_key forgets every sender)."
        ),
        secrets.value("sender_key"),
        secrets.value("sealing_key"),
    );
    let _ = writeln!(out, "[log]\nformat = \"pretty\"\nlevel = \"info\"\n");
    let provider: Vec<String> = std::iter::once(format!("kind = {}", quoted(answers.provider.kind().as_str())))
        .chain(answers.provider.public_fields().into_iter().map(|(key, value)| format!("{key} = {}", quoted(value))))
        .chain(answers.provider.secrets().into_iter().map(|(key, _)| format!("{key} = {}", secrets.value(key))))
        .collect();
    let _ = writeln!(
        out,
        "[[tenants]]\nid = {}\n# {}\nmonthly_cap = {}\n# {}\nprepaid = {}\n# {}\nadmin_token = {}\nprovider = {{ {} }}\n",
        quoted(&answers.tenant),
        say("Au plus ce montant par mois pour le collectif.", "At most this much a month for the collective."),
        quoted(&answers.monthly_cap.to_string()),
        say(
            "true : les réponses sont payées par un solde prépayé (crédité dans la console) et s'arrêtent à zéro.",
            "true: replies are paid from a prepaid balance (credited in the console) and stop at zero."
        ),
        answers.prepaid,
        say("Le jeton pour se connecter à la console.", "The token to sign in to the console."),
        secrets.value("admin_token"),
        provider.join(", "),
    );
    let _ = writeln!(
        out,
        "[[tenants.numbers]]\nnumber = {}\n# {}\nreply = {}\n# {}\nprice_per_segment = {}\n# {}\ndaily_cap = {}",
        quoted(answers.number.as_str()),
        say(
            "Votre réponse. 160 caractères par SMS sans caractère spécial, 70 sinon (’ « » … œ ê emoji).",
            "Your reply. 160 characters an SMS without special characters, 70 otherwise (’ « » … œ ê emoji)."
        ),
        quoted(&answers.reply),
        say(
            "Ce que l'opérateur facture par SMS envoyé (voir sa grille de prix).",
            "What the provider charges per SMS sent (see its price list)."
        ),
        quoted(&answers.price_per_segment.to_string()),
        say("Au plus ce montant par jour pour ce numéro.", "At most this much a day for this number."),
        quoted(&answers.daily_cap.to_string()),
    );
    out
}

/// The `Caddyfile` for `public_url`'s host in front of `layout`'s listeners.
pub fn caddyfile(public_url: &str, layout: &Layout) -> String {
    let host = url::Url::parse(public_url)
        .ok()
        .and_then(|url| {
            let host = url.host_str()?.to_owned();
            Some(match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_else(|| public_url.to_owned());
    CADDYFILE
        .replace("{$ANTIRELOU_HOST}", &host)
        .replace("{$ANTIRELOU_WEBHOOKS:127.0.0.1:8080}", &layout.listen)
        .replace("{$ANTIRELOU_CONSOLE:127.0.0.1:8081}", &layout.console_listen)
}

/// `deploy/single/Caddyfile`, compiled in.
const CADDYFILE: &str = include_str!("../../../../deploy/single/Caddyfile");

/// Where the secret `name` lives under `dir`.
pub fn secret_path(dir: &Path, name: &str) -> PathBuf {
    dir.join("secrets").join(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caddyfile_names_the_host_and_the_two_listeners() {
        let layout = Layout::for_checks();
        let text = caddyfile("https://sms.example.org", &layout);
        assert!(text.contains("sms.example.org {"), "{text}");
        assert!(text.contains("reverse_proxy 127.0.0.1:8080") && text.contains("reverse_proxy 127.0.0.1:8081"));
        assert!(!text.contains("{$"), "every placeholder filled: {text}");
        let moved = Layout { listen: "127.0.0.1:9001".to_owned(), ..Layout::for_checks() };
        assert!(caddyfile("https://sms.example.org:8443", &moved).contains("sms.example.org:8443 {"));
        assert!(caddyfile("https://sms.example.org", &moved).contains("reverse_proxy 127.0.0.1:9001"));
    }
}
