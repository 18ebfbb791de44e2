//! `antirelou init`: a working configuration for one collective, asked in
//! French or English (or given as flags with `--non-interactive`).
//!
//! Start with [`run`]: refuse to overwrite without `--force`, gather the
//! [`Answers`](answers::Answers) (`ask.rs` for the questions, `flags.rs`
//! for the flags), then write `DIR/antirelou.toml`, the secrets under
//! `DIR/secrets/` (mode 0600, one file each, generated keys and tokens
//! kept when they exist) and `DIR/Caddyfile`, check the result as
//! `check-config` does, and print what to paste where. `answers.rs` checks
//! each answer; `config_text.rs` renders the files.

mod answers;
mod ask;
mod config_text;
mod flags;

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use antirelou_domain::ProviderKind;
use antirelou_settings::Settings;
use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;

use crate::cli::InitArgs;
use crate::EXIT_BAD_CONFIG;
use answers::Answers;
use config_text::{secret_path, Secrets, GENERATED};

/// Where the Debian package's service reads its configuration.
pub const SYSTEM_DIR: &str = "/etc/antirelou";
/// Where the Debian package's service keeps its ledger (systemd's `StateDirectory`).
pub const SYSTEM_DATA_DIR: &str = "/var/lib/antirelou";

/// The language of the questions and of the comments written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Fr,
    En,
}

impl Lang {
    /// The French or the English text.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// French when the environment's language is (`LANG=fr_FR.UTF-8`).
    pub fn from_env() -> Lang {
        let lang = std::env::var("LC_ALL").or_else(|_| std::env::var("LANG")).unwrap_or_default();
        if lang.starts_with("fr") {
            Lang::Fr
        } else {
            Lang::En
        }
    }
}

/// Where the files go and what the server listens on.
#[derive(Clone, Debug)]
pub struct Layout {
    /// The configuration's folder, absolute.
    pub dir: PathBuf,
    /// The ledger's folder, absolute.
    pub data_dir: PathBuf,
    pub listen: String,
    pub console_listen: String,
}

impl Layout {
    /// The Debian package's layout, for drafts that are only checked.
    pub fn for_checks() -> Layout {
        Layout {
            dir: PathBuf::from(SYSTEM_DIR),
            data_dir: PathBuf::from(SYSTEM_DATA_DIR),
            listen: "127.0.0.1:8080".to_owned(),
            console_listen: "127.0.0.1:8081".to_owned(),
        }
    }

    fn of(args: &InitArgs) -> anyhow::Result<Layout> {
        let dir = args.dir.clone().unwrap_or_else(default_dir);
        let dir = std::path::absolute(&dir).with_context(|| format!("--dir {}", dir.display()))?;
        let data_dir = match &args.data_dir {
            Some(data) => std::path::absolute(data).with_context(|| format!("--data-dir {}", data.display()))?,
            None if dir == Path::new(SYSTEM_DIR) => PathBuf::from(SYSTEM_DATA_DIR),
            None => dir.join("data"),
        };
        Ok(Layout { dir, data_dir, listen: args.listen.clone(), console_listen: args.console_listen.clone() })
    }

    fn config(&self) -> PathBuf {
        self.dir.join("antirelou.toml")
    }
}

/// `/etc/antirelou` when the Debian package made it, else the current folder.
fn default_dir() -> PathBuf {
    if Path::new(SYSTEM_DIR).is_dir() {
        PathBuf::from(SYSTEM_DIR)
    } else {
        PathBuf::from(".")
    }
}

pub fn run(args: InitArgs) -> anyhow::Result<ExitCode> {
    let lang = args.lang.map_or_else(Lang::from_env, |l| l.into());
    let layout = Layout::of(&args)?;
    let config = layout.config();
    if config.exists() && !args.force {
        eprintln!(
            "{} {}",
            config.display(),
            lang.pick(
                "existe déjà : rien n'a été changé. Relancez avec --force pour le remplacer (les clés et jetons \
                 déjà dans secrets/ sont gardés).",
                "already exists: nothing was changed. Run again with --force to replace it (the keys and tokens \
                 already in secrets/ are kept)."
            )
        );
        return Ok(ExitCode::from(EXIT_BAD_CONFIG));
    }
    let answers = if args.non_interactive {
        match flags::answers(&args, lang) {
            Ok(answers) => answers,
            Err(problems) => {
                for problem in problems {
                    eprintln!("error: {problem}");
                }
                return Ok(ExitCode::from(EXIT_BAD_CONFIG));
            }
        }
    } else {
        match ask::answers(&args, lang)? {
            Some(answers) => answers,
            None => return Ok(ExitCode::FAILURE),
        }
    };
    write(&answers, &layout)?;
    let settings = match Settings::load(&config) {
        Ok(settings) => settings,
        Err(error) => {
            // The answers were checked one by one: this is a bug of `init`.
            eprintln!("error: the configuration written to {} does not pass its checks:\n{error}", config.display());
            return Ok(ExitCode::FAILURE);
        }
    };
    print!("{}", summary(&answers, &layout, &settings));
    Ok(ExitCode::SUCCESS)
}

/// Writes the configuration, the secrets and the Caddyfile.
fn write(answers: &Answers, layout: &Layout) -> anyhow::Result<()> {
    let secrets_dir = layout.dir.join("secrets");
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(&layout.dir)
        .with_context(|| format!("creating {}", layout.dir.display()))?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&secrets_dir)
        .with_context(|| format!("creating {}", secrets_dir.display()))?;
    fs::set_permissions(&secrets_dir, fs::Permissions::from_mode(0o700))?;
    for name in GENERATED {
        let path = secret_path(&layout.dir, name);
        if !path.exists() {
            write_secret(&path, &generate(name))?;
        }
    }
    for (name, value) in answers.provider.secrets() {
        write_secret(&secret_path(&layout.dir, name), value)?;
    }
    let text = config_text::render(answers, &Secrets::Files { dir: secrets_dir }, layout);
    write_file(&layout.config(), &text, 0o644)?;
    write_file(&layout.dir.join("Caddyfile"), &config_text::caddyfile(&answers.public_url, layout), 0o644)?;
    Ok(())
}

/// A new random key or token: 32 bytes from the operating system.
fn generate(name: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    if name.ends_with("_key") {
        hex::encode(bytes)
    } else {
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

/// Writes a secret readable by its owner only, whatever the umask.
fn write_secret(path: &Path, value: &str) -> anyhow::Result<()> {
    write_file(path, value, 0o600)
}

/// Writes `text` to `path` through a temporary file renamed over it, with `mode`.
fn write_file(path: &Path, text: &str, mode: u32) -> anyhow::Result<()> {
    let temporary = path.with_extension("new");
    let _ = fs::remove_file(&temporary);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temporary)
        .with_context(|| format!("writing {}", temporary.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    fs::set_permissions(&temporary, fs::Permissions::from_mode(mode))?;
    fs::rename(&temporary, path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// What was written, what to paste where, and how to start.
fn summary(answers: &Answers, layout: &Layout, settings: &Settings) -> String {
    let lang = answers.lang;
    let say = |fr: &'static str, en: &'static str| lang.pick(fr, en);
    let public = answers.public_url.trim_end_matches('/');
    let mut out = format!(
        "\n{} {}\n{} {}\n{} {}\n\n",
        say("Configuration écrite :", "Configuration written:"),
        layout.config().display(),
        say("Secrets (lisibles par vous seul) :", "Secrets (readable by you only):"),
        layout.dir.join("secrets").display(),
        say("Caddyfile pour HTTPS :", "Caddyfile for HTTPS:"),
        layout.dir.join("Caddyfile").display(),
    );
    let paste = match answers.provider.kind() {
        ProviderKind::Twilio => format!(
            "{}\n  {public}/webhooks/twilio   (HTTP POST)\n",
            say(
                "Dans la console Twilio, numéro > Messaging > « A message comes in » : Webhook, collez",
                "In Twilio's console, the number > Messaging > \"A message comes in\": Webhook, paste"
            )
        ),
        ProviderKind::Vonage => format!(
            "{}\n  {public}/webhooks/vonage   (HTTP GET)\n",
            say(
                "Dans le tableau de bord Vonage, API settings > SMS settings > « Inbound SMS webhooks » : collez",
                "In Vonage's dashboard, API settings > SMS settings > \"Inbound SMS webhooks\": paste"
            )
        ),
        ProviderKind::Plivo => format!(
            "{}\n  {public}/webhooks/plivo   (POST)\n",
            say(
                "Dans la console Plivo, Messaging > Applications : « Message URL », collez",
                "In Plivo's console, Messaging > Applications: \"Message URL\", paste"
            )
        ),
        ProviderKind::Ovh => format!(
            "{}\n",
            say(
                "OVHcloud : rien à coller. antirelou relève les SMS reçus par votre numéro toutes les 5 secondes.",
                "OVHcloud: nothing to paste. antirelou fetches the SMS your number receives every 5 seconds."
            )
        ),
    };
    out.push_str(&paste);
    out.push('\n');
    out.push_str(&crate::check::report(settings));
    let token = secret_path(&layout.dir, "admin_token");
    let sudo = if layout.dir == Path::new(SYSTEM_DIR) { "sudo " } else { "" };
    out.push_str(&format!(
        "\n{}\n  {public}/console/\n{} {}\n  ({sudo}cat {})\n",
        say("La console de votre collectif :", "Your collective's console:"),
        say("Connectez-vous avec le jeton du fichier", "Sign in with the token in"),
        token.display(),
        token.display(),
    ));
    let start = if layout.dir == Path::new(SYSTEM_DIR) {
        "sudo systemctl enable --now antirelou".to_owned()
    } else {
        format!("antirelou serve --config {}", layout.config().display())
    };
    out.push_str(&format!("\n{}\n  {start}\n", say("Pour démarrer :", "To start:")));
    out
}
