//! The console speaks to volunteers: after a flood (shield on, senders
//! waiting for a reply, an attack recorded, an alert sent), every page, in
//! French and in English, is searched for the service's internal words;
//! money is written `5,50 €` / `€5.50`; inputs are read as people type
//! them (`5,50`, `06 11 22 33 44`), and a refused one is answered in words
//! next to its field, never with a key path.

use std::time::{Duration, Instant};

use crate::console::sign_in;
use crate::support::*;

const PARIS_ADMIN: &str = "paris-admin-token-0123456789";

/// Words of the service's insides that no page may show (each a word's
/// start: `hachés`, `replicas`, `deployment`, `judged`).
const INTERNAL_WORDS: [&str; 14] = [
    "replica",
    "réplique",
    "deploy",
    "déploie",
    "webhook",
    "judg",
    "jugement",
    "fingerprint",
    "empreinte",
    "hash",
    "hach",
    "hmac",
    "ttl",
    "daily_cap",
];

fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The text a visitor reads: the page without its tags (attributes, such
/// as a hidden form field's name, are not read).
fn visible_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&#39;", "'").replace("&quot;", "\"").replace("&amp;", "&")
}

/// The internal words `text` holds, as whole words' starts.
fn internal_words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '_')
        .filter(|word| INTERNAL_WORDS.iter().any(|w| word.starts_with(w)))
        .map(str::to_owned)
        .collect()
}

struct Visitor {
    base: String,
    cookie: String,
}

impl Visitor {
    async fn get(&self, path: &str, lang: &str) -> (u16, String) {
        let answer = client()
            .get(format!("{}{path}", self.base))
            .header("Cookie", format!("{}; antirelou_lang={lang}", self.cookie))
            .send()
            .await
            .unwrap();
        (answer.status().as_u16(), answer.text().await.unwrap())
    }

    /// A form posted from the page at `page` (its CSRF token), in French.
    async fn post(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> (u16, String) {
        let (_, html) = self.get(page, "fr").await;
        let csrf = html.split("name=\"csrf\" value=\"").nth(1).and_then(|s| s.split('"').next()).unwrap().to_owned();
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &csrf));
        let answer = client()
            .post(format!("{}{action}", self.base))
            .header("Cookie", format!("{}; antirelou_lang=fr", self.cookie))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let location = answer.headers().get("location").and_then(|l| l.to_str().ok()).map(str::to_owned);
        match (status, location) {
            (303, Some(location)) => self.get(&location, "fr").await,
            _ => (status, answer.text().await.unwrap()),
        }
    }
}

fn flood_config(dir: &std::path::Path) -> String {
    let shielded = two_tenants("").replace(
        "shield = { trigger_per_minute = 100000, new_senders_per_minute = 100000, trigger_per_hour = 100000, \
         new_senders_per_hour = 100000, hold = \"1h\", trickle_per_hour = 10, baseline_factor = 0, money_margin_percent = 100000 }",
        "shield = { trigger_per_minute = 3, new_senders_per_minute = 3, hold = \"1h\", trickle_per_hour = 1 }",
    );
    assert_ne!(shielded, two_tenants(""), "the shield of the test configuration is set");
    // Prepaid, so that a top-up credits something (the flood comes after it).
    let shielded = shielded.replacen("id = \"paris\"\n", "id = \"paris\"\nprepaid = true\n", 1);
    config_toml(dir, "", &shielded)
}

#[actix_web::test]
async fn no_page_shows_an_internal_word_after_a_flood_in_either_language() {
    let app = spawn_app_at(flood_config, midday_clock()).await;
    let visitor = Visitor {
        base: app.admin_url.clone(),
        cookie: format!("antirelou_console={}", sign_in(&app, PARIS_ADMIN).await.unwrap()),
    };
    let number_page = format!("/console/numbers/{PARIS_NUMBER}");

    // Inputs as people type them.
    let (status, topped) = visitor
        .post("/console/tenants/paris/money", "/console/tenants/paris/top-up", &[("amount", "5,50"), ("note", "")])
        .await;
    assert_eq!(status, 200);
    assert!(topped.contains("5,50\u{a0}€"), "the balance in French: {}", visible_text(&topped));
    for i in 0..12 {
        app.post_sms(&Sms::paris(&format!("+337000001{i:02}"), sid(i))).await;
    }
    assert!(app.registry.write_day_counts().await);
    let (status, blocked) = visitor
        .post(
            "/console/tenants/paris/blocklist",
            "/console/tenants/paris/blocklist",
            &[("number", "06 11 22 33 44"), ("label", "revient")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(blocked.contains("revient") && !blocked.contains("611223344"), "blocked, never shown back");
    let (_, dotted) = visitor
        .post(
            "/console/tenants/paris/blocklist",
            "/console/tenants/paris/blocklist",
            &[("number", "06.11.22.33.45"), ("label", "")],
        )
        .await;
    assert_eq!(dotted.matches("<tr>").count(), 3, "two blocked numbers and the table's head");
    let (status, capped) = visitor
        .post(
            &number_page,
            &format!("{number_page}/settings"),
            &[("daily_cap", "5,50"), ("max_replies_per_minute", "100000"), ("trigger_per_minute", "3")],
        )
        .await;
    assert_eq!(status, 200);
    assert!(capped.contains("value=\"5,50\""), "the cap as typed in French");
    let (status, refused) = visitor
        .post(
            &number_page,
            &format!("{number_page}/settings"),
            &[("daily_cap", "beaucoup"), ("max_replies_per_minute", "100000"), ("trigger_per_minute", "3")],
        )
        .await;
    assert_eq!(status, 400);
    let beside = refused.split("id=\"daily-cap\"").nth(1).expect("the cap field").split("</label>").next().unwrap();
    assert!(beside.contains("Montant illisible"), "the reason beside the field: {beside}");
    assert!(refused.contains("value=\"beaucoup\""), "what was typed is given back");

    // An incident and its shield alert are written a moment after the flood.
    let deadline = Instant::now() + Duration::from_secs(10);
    let incident = loop {
        let (_, list) = visitor.get("/console/tenants/paris/incidents", "fr").await;
        let (_, alerts) = visitor.get("/console/tenants/paris/alerts", "fr").await;
        let link = list.split("href=\"/console/tenants/paris/incidents/").nth(1).and_then(|s| s.split('"').next());
        if let (Some(link), true) = (link, alerts.contains("<tbody>")) {
            break format!("/console/tenants/paris/incidents/{link}");
        }
        assert!(Instant::now() < deadline, "the flood is recorded as an attack, with its alert");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let (_, page) = visitor.get(&number_page, "fr").await;
    assert!(page.contains("Bouclier actif"), "the shield is on");
    assert!(page.contains("personnes en attente"), "senders are waiting: {}", visible_text(&page));

    let pages = [
        "/console/".to_owned(),
        number_page.clone(),
        "/console/tenants/paris/money".to_owned(),
        "/console/tenants/paris/blocklist".to_owned(),
        "/console/tenants/paris/alerts".to_owned(),
        "/console/tenants/paris/incidents".to_owned(),
        incident,
        "/console/during-an-attack".to_owned(),
        "/console/nowhere".to_owned(),
    ];
    for lang in ["fr", "en"] {
        for path in &pages {
            let (status, html) = visitor.get(path, lang).await;
            assert!(status == 200 || path.ends_with("nowhere"), "{path}: {status}");
            assert!(html.contains(&format!("<html lang=\"{lang}\"")), "{path} in {lang}");
            let found = internal_words(&visible_text(&html));
            assert!(found.is_empty(), "{path} in {lang} shows {found:?}");
        }
    }
    let (_, refused_en) = {
        let (_, html) = visitor.get(&number_page, "en").await;
        (0, html)
    };
    assert!(internal_words(&visible_text(&refused)).is_empty(), "the refused form");
    assert!(!visible_text(&refused_en).contains("0.08 EUR"), "money is written €0.08 in English");
    let (_, overview) = visitor.get("/console/", "en").await;
    assert!(visible_text(&overview).contains("€"), "{}", visible_text(&overview));
    assert!(!visible_text(&overview).contains(" EUR"), "no currency code where a sign is known");
}

#[actix_web::test]
async fn a_shielded_number_says_why_in_figures_and_links_to_what_to_do_during_an_attack() {
    let app = spawn_app_at(flood_config, midday_clock()).await;
    let visitor = Visitor {
        base: app.admin_url.clone(),
        cookie: format!("antirelou_console={}", sign_in(&app, PARIS_ADMIN).await.unwrap()),
    };
    let number_page = format!("/console/numbers/{PARIS_NUMBER}");
    let (_, calm) = visitor.get(&number_page, "fr").await;
    assert!(!calm.contains("id=\"shield\""), "no explanation while the shield is down");
    // The fourth new number in a minute is above the trigger of 3 a minute.
    for i in 0..6 {
        app.post_sms(&Sms::paris(&format!("+337000002{i:02}"), sid(100 + i))).await;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let french = loop {
        let (_, page) = visitor.get(&number_page, "fr").await;
        if page.contains("4 nouveaux numéros") {
            break visible_text(&page);
        }
        assert!(Instant::now() < deadline, "the shield's figures reach the page: {}", visible_text(&page));
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        french.contains(
            "4 nouveaux numéros ont écrit en une minute (4 messages), alors qu'une heure ordinaire en compte 3."
        ),
        "the trigger in figures (a new number's midday hour is 3 new senders): {french}"
    );
    assert!(french.contains("10 à 20 minutes après leur premier message"), "roughly when: {french}");
    // A prepaid collective that was never topped up has nothing left.
    assert!(french.contains("Il reste 0,00\u{a0}€ pour aujourd'hui."), "the money left today: {french}");
    let (_, english) = visitor.get(&number_page, "en").await;
    assert!(
        visible_text(&english)
            .contains("4 new numbers wrote in one minute (4 messages), while an ordinary hour has 3."),
        "{}",
        visible_text(&english)
    );
    assert!(english.contains("€0.00 left for today."), "{}", visible_text(&english));
    assert!(english.contains("href=\"/console/during-an-attack\""), "the number links to what to do");
    assert!(english.contains("href=\"#daily-cap\"") && english.contains("href=\"#pause-button\""), "the controls");
    let (_, alerts) = visitor.get("/console/tenants/paris/alerts", "fr").await;
    assert!(alerts.contains("href=\"/console/during-an-attack\""), "the shield's alert links to what to do");
    for (lang, title, words) in [
        ("fr", "Pendant une attaque", "Inutile de changer de numéro"),
        ("en", "During an attack", "No need to change number"),
    ] {
        let (status, page) = visitor.get("/console/during-an-attack", lang).await;
        assert_eq!(status, 200);
        assert!(page.contains(&format!("<h1>{title}</h1>")) && page.contains(words), "{lang}: {}", visible_text(&page));
    }
}

#[test]
fn the_search_finds_internal_words_in_text_but_not_in_attributes() {
    assert_eq!(internal_words(&visible_text("<p>7 messages (cette réplique)</p>")), ["réplique"]);
    assert_eq!(internal_words(&visible_text("<p>Il est haché dès réception</p>")), ["haché"]);
    assert_eq!(internal_words("Senders waiting for a judgement"), ["judgement"]);
    assert!(
        internal_words(&visible_text("<input type=\"hidden\" name=\"hash\"><p>a little TTL-free text</p>")).len() == 1
    );
    assert!(internal_words(&visible_text("<input type=\"hidden\" name=\"hash\"><p>a little text</p>")).is_empty());
}
