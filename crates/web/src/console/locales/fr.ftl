# The console's words in French (the default language).
# One message a line; a page names it by its id (crates/web/src/console/i18n.rs).

console = Console anti-relou
language-name = Français
switch-language = English
skip-to-content = Aller au contenu
sign-in = Se connecter
sign-out = Se déconnecter
sign-in-intro = Entrez le jeton d'administration de votre collectif (ou le jeton d'opérateur).
token = Jeton
wrong-token = Jeton inconnu.
too-many-attempts = Trop d'essais depuis cette adresse : réessayez dans une minute.
signed-in-as = Connecté·e :
operator = opérateur (tous les collectifs)
tenant = Collectif
navigation = Navigation
overview = Vue d'ensemble
number = Numéro
numbers = Numéros
blocklist = Numéros bloqués
money = Argent
alerts = Alertes
attacks = Attaques
attack = Attaque
attacks-intro = Chaque fois que le numéro a été inondé de messages et s'est protégé, les plus récentes d'abord. Pour chacune, un dossier à remettre à la police.
no-attack = Aucune attaque pour l'instant.
attack-start = Début
attack-end = Fin
still-on = en cours
messages = Messages reçus
new-senders = Expéditeurs (au moins)
flooders = Expéditeurs qui inondaient
replies-sent = Réponses envoyées
spent = Dépensé
saved-by-shield = Épargné par la protection
the-file = Le dossier pour porter plainte
download-file = Télécharger le dossier (ZIP)
file-has-senders = Le dossier contient un rapport en français, les volumes par tranche de 10 minutes et le fichier senders.csv.age : les numéros qui inondaient, leurs dates, leur nombre de messages et quelques-uns de leurs textes. Ce fichier est chiffré pour la clé de votre collectif : ni la plateforme ni son hébergeur ne peuvent le lire.
file-without-senders = Le dossier contient un rapport en français et les volumes par tranche de 10 minutes. Aucun numéro d'expéditeur n'a été gardé : pour les garder lors des prochaines attaques, chiffrés pour vous seul·es, demandez à votre hébergeur d'ajouter la clé publique de votre collectif (voir ci-dessous).
open-the-file = Ouvrir le fichier des expéditeurs
open-the-file-intro = Il s'ouvre avec age, un logiciel libre (paquet « age » sous Debian et Ubuntu, « brew install age » sur Mac, age-encryption.org pour Windows), et la clé secrète de votre collectif. Cette clé se crée une fois, sur l'ordinateur d'une personne du collectif, avec « age-keygen -o cle-du-collectif.txt » : la ligne « Public key: age1… » qu'elle affiche est la clé publique à donner à votre hébergeur. Pour ouvrir le fichier :
keep-the-key = Gardez cle-du-collectif.txt en lieu sûr (une clé USB rangée, un gestionnaire de mots de passe) et ne l'envoyez jamais, ni à la plateforme ni à personne : sans elle, personne ne peut lire les numéros, pas même vous.
file-acomplaint = Porter plainte
complaint-step1 = Téléchargez le dossier ci-dessus et ouvrez le fichier des expéditeurs avec votre clé : gardez senders.csv avec le dossier.
complaint-step2 = Vous pouvez commencer par une pré-plainte en ligne (pre-plainte-en-ligne.gouv.fr) : elle vous donne un rendez-vous.
complaint-step3 = Allez au commissariat ou à la brigade de gendarmerie avec le dossier sur une clé USB et le rapport (report.html) imprimé. Les faits peuvent relever de l'entrave au fonctionnement d'un système de traitement automatisé de données (article 323-2 du Code pénal).
complaint-step4 = Remettez tout le dossier : le fichier manifest.json et sa signature permettent de vérifier que rien n'a été modifié.
state = État
paused = En pause
answering = Répond
shield = Bouclier
shield-on = Bouclier actif
shield-off = Bouclier inactif
pause = Mettre en pause
resume = Reprendre
paused-done = Le numéro est en pause : personne ne reçoit de réponse.
resumed-done = Le numéro répond de nouveau.
spend-today = Dépenses
number-daily = Plafond du jour (numéro)
tenant-monthly = Plafond du mois (collectif)
deployment-monthly = Plafond du mois (tout le service)
no-cap = sans plafond
of = sur
balance = Solde prépayé
reached = atteint
decisions-today = Messages d'aujourd'hui (à 10 secondes près)
calls = Appels
calls-hear = Qui appelle ce numéro entend ce message une seule fois, puis l'appel se termine :
call-length = Durée du message
call-seconds = environ { $count }{"\u00A0"}s
call-most-cost = Coût d'un appel répondu, au plus
no-voice = Ce numéro ne répond pas aux appels : ils sont refusés, sans frais.
calls-today = Appels d'aujourd'hui (à 10 secondes près)
calls-answered = { $count ->
    [one] { $count }{"\u00A0"}appel répondu
   *[other] { $count }{"\u00A0"}appels répondus
}
calls-refused = { $count ->
    [one] { $count }{"\u00A0"}appel refusé sans frais
   *[other] { $count }{"\u00A0"}appels refusés sans frais
}
calls-refused-why = Un appel est refusé, sans frais, quand la personne a déjà eu une réponse (par message ou par appel), pendant une attaque, quand l'argent est dépensé ou quand le numéro est en pause.
decision = Décision
outcome-paused = en pause
outcome-blocked = numéro bloqué
outcome-duplicate = renvoi du même message par l'opérateur (compté une fois)
outcome-opted-out = désinscrit (STOP)
outcome-not-aphone = pas un numéro de téléphone
outcome-repeat-sender = déjà répondu
outcome-country-not-allowed = pays non autorisé
outcome-deferred = mis en attente (réponse décidée plus tard)
outcome-shielded = retenu par le bouclier
outcome-budget-exhausted = budget épuisé
outcome-rate-limited = trop de réponses cette minute
outcome-overloaded = surcharge
outcome-ledger-unavailable = registre indisponible
outcome-replied = réponse envoyée
since-top-up = depuis la recharge du
flood-on = Inondation sur le
shield-until = bouclier actif jusqu'au
flood-over = Fin de l'inondation sur le
shield-off-now = bouclier inactif
no-balance = Aucun crédit prépayé.
budget-exhausted = Budget épuisé :
last24h = Dernières 24 heures
chart-partial = Beaucoup d'écritures : le graphique ne montre que les premières.
hour-ago = il y a 24 h
now = maintenant
reply = Réponse automatique
reply-help = Le texte envoyé une fois à chaque personne qui écrit.
characters = Caractères
encoding = Encodage
segments = Segments SMS
cost-per-reply = Coût par réponse
ucs2-intro = Ces caractères raccourcissent chaque SMS (70 caractères au lieu de 160), donc la réponse peut coûter plus cher :
replaceable-by = remplaçable par
no-equivalent = sans équivalent
replace-ucs2 = Remplacer ces caractères par leur équivalent
replaced = Caractères remplacés : relisez la réponse, puis enregistrez-la.
too-many-segments = Trop long : au plus 10 segments.
save-reply = Enregistrer la réponse
caps-and-shield = Plafonds et bouclier
max-replies-per-minute = Réponses par minute au plus
shield-trigger = Bouclier : messages par minute qui le déclenchent
save = Enregistrer
saved = Enregistré : tous les serveurs l'appliquent.
empty-is-no-cap = Plafond du jour vide : pas de plafond.
blocked = Bloqué.
not-anumber = Ce n'est pas un numéro de téléphone complet (exemples : 06 11 22 33 44, +33 6 11 22 33 44).
unblocked = Débloqué.
alerts-webhook = Toutes les alertes, bouclier compris, sont aussi envoyées à l'adresse d'alerte du collectif (sa messagerie).
alert = Alerte
blocklist-intro = Un numéro bloqué ne reçoit plus jamais de réponse. Il est rendu illisible dès réception : personne ne peut le relire ici, pas même vous. Donnez-lui une étiquette pour le reconnaître.
phone-number = Numéro (comme vous l'écrivez : 06 11 22 33 44 ou +33 6 11 22 33 44)
label = Étiquette
add = Bloquer
remove = Débloquer
no-label = (sans étiquette)
since = Depuis
donations = Dons
no-donation-yet = Aucun don reçu pour l'instant.
donation-platform = Plateforme
payment-number = N° du paiement
refunded = Remboursé le
replies-left = réponses
none-yet = Rien pour l'instant.
top-up = Créditer
amount = Montant
note = Note
credited = Crédité. Nouveau solde :
cap-not-positive = Le plafond doit être plus que zéro (laissez le champ vide pour ne pas avoir de plafond).
whole-number-needed = Écrivez un nombre entier, au moins 1.
reply-empty = La réponse ne peut pas être vide.
value-refused = Cette modification n'a pas pu être enregistrée : vérifiez les champs.
amount-not-positive = Le montant doit être positif.
amount-invalid = Montant illisible (exemple : 10,00).
entries = Écritures
download-csv = Télécharger en CSV
when = Quand
kind = Nature
count = Nombre
kind-reply = réponse
kind-inbound = message reçu
kind-top-up = recharge
kind-donation = don
kind-call = appel décroché
kind-call-settled = appel terminé : rendu sur la réservation
kind-refund = remboursement
reference = Référence
older-entries = Écritures suivantes
alerts-intro = Les alertes envoyées à votre collectif, les plus récentes d'abord : budget (50, 80 et 100 % de chaque plafond et du solde prépayé) et bouclier (une inondation commence ou finit).
ledger-unavailable = Le registre est indisponible : réessayez.
exports-busy = Deux téléchargements de votre collectif sont déjà en cours : réessayez dans une minute.
not-found = Page introuvable.
form-refused = Modification refusée
go-back = Retour
not-prepaid = Votre collectif n'est pas prépayé : ses réponses sont payées par l'équipe qui fait tourner le service, dans la limite de ses plafonds, et non par un solde. Un crédit ne paierait donc rien. Pour payer vos réponses avec un solde (crédité ici ou par vos dons ; les réponses s'arrêtent quand il est vide), demandez-lui d'écrire prepaid = true pour votre collectif dans la configuration.
amount-too-large = Ce montant porterait le solde au-delà de son maximum.
bad-cursor = Cette page de la liste n'existe pas : revenez à la première.
bad-form = Formulaire refusé (jeton de formulaire absent ou périmé) : rechargez la page.
no-numbers = Aucun numéro.
actor-unavailable = Le numéro ne répond pas : réessayez.
health-title = Est-ce que ça marche ?
health-since = depuis le
health-shielded = Répond, bouclier levé
health-out-of-money = Plus d'argent pour répondre
health-failing = En panne
reply-sent = { $count ->
    [one] { $count }{"\u00A0"}réponse envoyée
   *[other] { $count }{"\u00A0"}réponses envoyées
}
deferred = { $count ->
    [one] { $count }{"\u00A0"}personne en attente d'une réponse (elle sera décidée dans les minutes qui viennent)
   *[other] { $count }{"\u00A0"}personnes en attente d'une réponse (elle sera décidée dans les minutes qui viennent)
}

## The number page while its shield is up (console/shield.rs).
shield-why = Pourquoi le bouclier est levé
shield-why-surge = { $new ->
    [one] { $new } nouveau numéro a écrit
   *[other] { $new } nouveaux numéros ont écrit
} en une minute ({ $messages ->
    [one] { $messages } message
   *[other] { $messages } messages
}), alors qu'une heure ordinaire en compte { $ordinary }.
shield-why-baseline = { $new ->
    [one] { $new } nouveau numéro a écrit
   *[other] { $new } nouveaux numéros ont écrit
} en une heure, alors qu'une heure ordinaire en compte { $ordinary }.
shield-why-money = { $today ->
    [one] { $today } nouveau numéro a écrit
   *[other] { $today } nouveaux numéros ont écrit
} aujourd'hui : à ce rythme, l'argent du jour serait épuisé vers { $time }.
shield-why-unknown = Le numéro reçoit bien plus de messages que d'habitude.
shield-now = Ce que fait le service
shield-now-who = Les nouveaux numéros n'ont pas de réponse tout de suite : le service les observe quelques minutes, puis répond à ceux qui écrivent comme les personnes à qui vous avez donné le numéro (une ou deux fois), et pas à ceux qui inondent.
shield-now-when = Leur réponse part 10 à 20 minutes après leur premier message.
shield-now-pace = L'argent du jour est dépensé peu à peu ({ $percent } % au plus par heure), pour qu'il en reste aux personnes qui écriront plus tard.
shield-money-left = Il reste { $money } pour aujourd'hui.
shield-no-cap = Aucun plafond : rien ne limite la dépense du jour.
shield-do = Ce que vous pouvez faire
shield-do-nothing = Rien, le plus souvent : le service se protège seul, et le bouclier retombe quand l'inondation cesse.
shield-do-raise-cap = Relever le plafond du jour
shield-do-raise-cap-why = seulement si vous pouvez vous le permettre : plus de personnes auront une réponse.
shield-do-pause = Mettre en pause
shield-do-pause-why = plus personne n'a de réponse, ni l'attaque ni les autres.
attack-help-link = Pendant une attaque : que faire ?

## The page "During an attack" (console/attack.rs).
during-an-attack = Pendant une attaque
attack-what = Ce qui se passe
attack-what-text = Quelqu'un inonde votre numéro de messages, souvent depuis des dizaines de numéros différents, pour vider l'argent des réponses ou pour faire taire le numéro. Ce n'est pas de votre faute, et cela finit par s'arrêter.
attack-service = Ce que le service fait tout seul
attack-service-shield = Il lève le bouclier : les nouveaux numéros attendent quelques minutes avant d'avoir une réponse.
attack-service-who = Il répond aux personnes qui écrivent une ou deux fois, 10 à 20 minutes après leur premier message ; ceux qui envoient message sur message n'ont pas de réponse.
attack-service-money = Il dépense l'argent du jour peu à peu, pour qu'il en reste aux personnes qui écriront plus tard, et ne dépasse jamais vos plafonds. Chaque personne n'a qu'une réponse, même si elle écrit souvent.
attack-service-record = Il garde le compte de l'attaque (page « Attaques ») et vous prévient quand elle commence et quand elle finit (page « Alertes »).
attack-do = Ce que vous pouvez faire
attack-do-nothing = Rien, le plus souvent. Inutile de changer de numéro : les personnes à qui vous l'avez donné l'ont déjà, et l'attaque finit par s'arrêter.
attack-do-cap = Relever le plafond du jour, seulement si vous pouvez vous le permettre : plus de personnes auront une réponse, mais l'attaque en prendra aussi une part.
attack-do-block = Bloquer un numéro que vous reconnaissez (page « Numéros bloqués »).
attack-do-evidence = Garder les preuves : si votre collectif a donné une clé à votre hébergeur, les numéros qui inondaient sont gardés, lisibles par vous seul·es, et la page « Attaques » donne le dossier pour porter plainte. Sinon, demandez-lui d'en ajouter une pour la prochaine fois.
attack-dont = À éviter
attack-dont-pause = Mettre en pause sans y être obligé·es : la pause arrête les réponses à tout le monde, aussi aux personnes qui ont besoin du numéro.
attack-dont-no-cap = Retirer le plafond pour que tout le monde ait une réponse : l'attaque pourrait vider l'argent.
# Between a link and what it does ("Mettre en pause : …").
colon = {" "}:{" "}
