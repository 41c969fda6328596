//! The console's words in English, German and French, each string with its three translations
//! side by side, and the language choice (the browser's language first, then what the author
//! picked, kept in `localStorage`).

use wire::admin::KeyRole;

macro_rules! texts {
    ($($name:ident: $en:expr, $de:expr, $fr:expr;)*) => {
        /// Every word the console shows, in one language.
        #[derive(Debug)]
        pub struct Text { $(pub $name: &'static str,)* }
        const EN: Text = Text { $($name: $en,)* };
        const DE: Text = Text { $($name: $de,)* };
        const FR: Text = Text { $($name: $fr,)* };
    };
}

texts! {
    loading:
        "Loading…",
        "Wird geladen…",
        "Chargement…";
    language:
        "Language",
        "Sprache",
        "Langue";
    sign_in:
        "Sign in",
        "Anmelden",
        "Se connecter";
    sign_in_title:
        "Sign in to the Cuecard console",
        "Anmeldung bei der Cuecard-Konsole",
        "Connexion à la console Cuecard";
    sign_in_intro:
        "Paste a secret key of your site once. The console exchanges it for a session; your browser never keeps the key.",
        "Fügen Sie einmal einen geheimen Schlüssel Ihrer Site ein. Die Konsole tauscht ihn gegen eine Sitzung; Ihr Browser speichert den Schlüssel nie.",
        "Collez une fois une clé secrète de votre site. La console l’échange contre une session ; votre navigateur ne conserve jamais la clé.";
    secret_key:
        "Secret key",
        "Geheimer Schlüssel",
        "Clé secrète";
    secret_key_hint:
        "Starts with sk_. Ask the site's owner for one.",
        "Beginnt mit sk_. Die Eigentümerin der Site kann einen erstellen.",
        "Commence par sk_. Demandez-en une au propriétaire du site.";
    sign_out:
        "Sign out",
        "Abmelden",
        "Se déconnecter";
    skip_to_content:
        "Skip to content",
        "Zum Inhalt springen",
        "Aller au contenu";
    main_navigation:
        "Main",
        "Hauptnavigation",
        "Navigation principale";
    nav_snippets:
        "Snippets",
        "Snippets",
        "Fiches";
    nav_explain:
        "What shows here",
        "Was hier erscheint",
        "Ce qui s’affiche ici";
    nav_insights:
        "Insights",
        "Auswertungen",
        "Analyses";
    nav_site:
        "Site",
        "Site",
        "Site";
    any:
        "Any",
        "Alle",
        "Tous";
    filters:
        "Filter snippets",
        "Snippets filtern",
        "Filtrer les fiches";
    filter_text:
        "Words",
        "Wörter",
        "Mots";
    apply_filters:
        "Filter",
        "Filtern",
        "Filtrer";
    no_snippets:
        "No snippets match.",
        "Keine Snippets gefunden.",
        "Aucune fiche ne correspond.";
    next_page:
        "Next page",
        "Nächste Seite",
        "Page suivante";
    first_page:
        "First page",
        "Erste Seite",
        "Première page";
    pages:
        "Pages",
        "Seiten",
        "Pages";
    new_snippet:
        "New snippet",
        "Neues Snippet",
        "Nouvelle fiche";
    edit_snippet:
        "Edit snippet",
        "Snippet bearbeiten",
        "Modifier la fiche";
    title:
        "Title",
        "Titel",
        "Titre";
    status:
        "Status",
        "Status",
        "Statut";
    moment:
        "Moment of need",
        "Moment des Bedarfs",
        "Moment de besoin";
    locale:
        "Locale",
        "Sprache (Locale)",
        "Langue (locale)";
    target:
        "Target",
        "Ziel",
        "Cible";
    targets:
        "Targets",
        "Ziele",
        "Cibles";
    updated:
        "Updated",
        "Geändert",
        "Modifiée";
    site_wide:
        "Site-wide",
        "Überall auf der Site",
        "Tout le site";
    body:
        "Body (Markdown)",
        "Text (Markdown)",
        "Texte (Markdown)";
    body_hint:
        "Short and to the point: what the worker needs at this moment.",
        "Kurz und konkret: was die Person in diesem Moment braucht.",
        "Court et concret : ce dont la personne a besoin à ce moment.";
    slug:
        "Slug",
        "Slug",
        "Identifiant (slug)";
    slug_hint:
        "Stable name; translations share it.",
        "Fester Name; Übersetzungen teilen ihn.",
        "Nom stable ; les traductions le partagent.";
    roles:
        "Roles",
        "Rollen",
        "Rôles";
    roles_hint:
        "Comma-separated; empty for everyone.",
        "Durch Kommas getrennt; leer für alle.",
        "Séparés par des virgules ; vide pour tout le monde.";
    priority:
        "Priority",
        "Priorität",
        "Priorité";
    publish_at:
        "Show from (UTC)",
        "Zeigen ab (UTC)",
        "Afficher à partir de (UTC)";
    expire_at:
        "Show until (UTC)",
        "Zeigen bis (UTC)",
        "Afficher jusqu’à (UTC)";
    app_versions:
        "App versions",
        "App-Versionen",
        "Versions de l’application";
    targets_hint:
        "Help keys (data-help-key), route templates or URL patterns where this applies.",
        "Hilfeschlüssel (data-help-key), Routen-Vorlagen oder URL-Muster, wo dies gilt.",
        "Clés d’aide (data-help-key), modèles de route ou motifs d’URL où cela s’applique.";
    target_kind:
        "Kind of target",
        "Art des Ziels",
        "Type de cible";
    kind_key:
        "Help key",
        "Hilfeschlüssel",
        "Clé d’aide";
    kind_route:
        "Route",
        "Route",
        "Route";
    kind_url:
        "URL pattern",
        "URL-Muster",
        "Motif d’URL";
    remove:
        "Remove",
        "Entfernen",
        "Retirer";
    add_target:
        "Add a target",
        "Ziel hinzufügen",
        "Ajouter une cible";
    site_wide_hint:
        "Without targets, the snippet shows on every page of the site.",
        "Ohne Ziele erscheint das Snippet auf jeder Seite der Site.",
        "Sans cible, la fiche s’affiche sur chaque page du site.";
    check_field:
        "Check this field",
        "Bitte dieses Feld prüfen",
        "Vérifiez ce champ";
    saved:
        "Saved",
        "Gespeichert",
        "Enregistré";
    version:
        "version",
        "Version",
        "version";
    published_done:
        "Published: workers see it now",
        "Veröffentlicht: jetzt sichtbar",
        "Publiée : visible dès maintenant";
    unpublished_done:
        "Unpublished: back to draft",
        "Zurückgezogen: wieder Entwurf",
        "Dépubliée : de nouveau brouillon";
    archived_done:
        "Archived",
        "Archiviert",
        "Archivée";
    save_draft:
        "Save draft",
        "Entwurf speichern",
        "Enregistrer le brouillon";
    save_changes:
        "Save changes",
        "Änderungen speichern",
        "Enregistrer les modifications";
    publish:
        "Publish",
        "Veröffentlichen",
        "Publier";
    published_state:
        "Published",
        "Veröffentlicht",
        "Publiée";
    unpublish:
        "Unpublish",
        "Zurückziehen",
        "Dépublier";
    archive:
        "Archive",
        "Archivieren",
        "Archiver";
    confirm_archive:
        "Archive: click again to confirm",
        "Archivieren: zum Bestätigen erneut klicken",
        "Archiver : cliquez à nouveau pour confirmer";
    restored_draft:
        "Your unsaved changes were restored from this browser.",
        "Ihre nicht gespeicherten Änderungen wurden aus diesem Browser wiederhergestellt.",
        "Vos modifications non enregistrées ont été restaurées depuis ce navigateur.";
    discard_local:
        "Discard them",
        "Verwerfen",
        "Les abandonner";
    preview:
        "What the worker will see",
        "Was die Person sehen wird",
        "Ce que verra la personne";
    preview_hint:
        "Rendered and sanitized by the service, exactly as saving it would.",
        "Vom Dienst gerendert und bereinigt, genau wie beim Speichern.",
        "Rendu et nettoyé par le service, exactement comme à l’enregistrement.";
    check_where_it_shows:
        "Check where it shows",
        "Prüfen, wo es erscheint",
        "Vérifier où elle s’affiche";
    conflict_title:
        "Someone saved a newer version while you were editing",
        "Jemand hat während Ihrer Bearbeitung eine neuere Version gespeichert",
        "Quelqu’un a enregistré une version plus récente pendant votre modification";
    conflict_intro:
        "Nothing is lost: compare, then merge both, keep yours or take theirs. Then save.",
        "Nichts geht verloren: vergleichen, dann beide zusammenführen, Ihre behalten oder deren übernehmen. Danach speichern.",
        "Rien n’est perdu : comparez, puis fusionnez, gardez la vôtre ou prenez la leur. Ensuite, enregistrez.";
    their_version:
        "Their version",
        "Deren Version",
        "Leur version";
    your_version:
        "Your version",
        "Ihre Version",
        "Votre version";
    merge_both:
        "Merge both",
        "Beide zusammenführen",
        "Fusionner les deux";
    keep_mine:
        "Keep mine",
        "Meine behalten",
        "Garder la mienne";
    take_theirs:
        "Take theirs",
        "Deren übernehmen",
        "Prendre la leur";
    merged_clean:
        "Merged. Check the text, then save.",
        "Zusammengeführt. Text prüfen, dann speichern.",
        "Fusionné. Vérifiez le texte, puis enregistrez.";
    merged_with_markers:
        "Merged: where you both changed the same lines, both texts are kept between markers. Settle them, then save.",
        "Zusammengeführt: Wo Sie beide dieselben Zeilen geändert haben, stehen beide Texte zwischen Markierungen. Bereinigen, dann speichern.",
        "Fusionné : là où vous avez modifié les mêmes lignes, les deux textes sont gardés entre marqueurs. Tranchez, puis enregistrez.";
    kept_mine:
        "Your version is kept. Save to replace theirs.",
        "Ihre Version bleibt. Speichern ersetzt deren Version.",
        "Votre version est gardée. Enregistrez pour remplacer la leur.";
    took_theirs:
        "Their version is in the editor now.",
        "Deren Version steht jetzt im Editor.",
        "Leur version est maintenant dans l’éditeur.";
    translations:
        "Translations",
        "Übersetzungen",
        "Traductions";
    translate_into:
        "Translate into",
        "Übersetzen ins",
        "Traduire en";
    history:
        "History",
        "Verlauf",
        "Historique";
    show_history:
        "Show the history",
        "Verlauf anzeigen",
        "Afficher l’historique";
    show_changes:
        "Show changes",
        "Änderungen zeigen",
        "Voir les changements";
    restore:
        "Restore",
        "Wiederherstellen",
        "Restaurer";
    restored_version:
        "Restored the content of version",
        "Inhalt wiederhergestellt von Version",
        "Contenu restauré de la version";
    changes:
        "Changes",
        "Änderungen",
        "Changements";
    changed_fields:
        "Changed",
        "Geändert",
        "Modifié";
    your_role:
        "Your role",
        "Ihre Rolle",
        "Votre rôle";
    explain_intro:
        "Pick a context — or paste a page address of your app — to see exactly the cards the widget shows there, in its order, and why other snippets do not show.",
        "Wählen Sie einen Kontext – oder fügen Sie eine Seitenadresse Ihrer App ein –, um genau die Karten zu sehen, die das Widget dort zeigt, in seiner Reihenfolge, und warum andere Snippets nicht erscheinen.",
        "Choisissez un contexte — ou collez l’adresse d’une page de votre application — pour voir exactement les fiches que le widget y affiche, dans son ordre, et pourquoi les autres ne s’affichent pas.";
    page_url:
        "Page address",
        "Seitenadresse",
        "Adresse de la page";
    page_url_hint:
        "Only the path counts, as the widget sends it.",
        "Nur der Pfad zählt, wie das Widget ihn sendet.",
        "Seul le chemin compte, comme le widget l’envoie.";
    route:
        "Route template",
        "Routen-Vorlage",
        "Modèle de route";
    route_hint:
        "As the app sets it (/claims/:id).",
        "Wie die App sie setzt (/claims/:id).",
        "Tel que l’application le définit (/claims/:id).";
    help_keys:
        "Help keys",
        "Hilfeschlüssel",
        "Clés d’aide";
    help_keys_hint:
        "Focused field first, then its ancestors; comma-separated.",
        "Fokussiertes Feld zuerst, dann die übergeordneten; durch Kommas getrennt.",
        "Champ actif d’abord, puis ses parents ; séparés par des virgules.";
    locale_hint:
        "The worker's language (fr-CA).",
        "Sprache der Person (de-AT).",
        "Langue de la personne (fr-CA).";
    app_version:
        "App version",
        "App-Version",
        "Version de l’application";
    app_version_hint:
        "The host app's version (2.4.1).",
        "Version der App (2.4.1).",
        "Version de l’application (2.4.1).";
    show_what_shows:
        "Show what shows here",
        "Zeigen, was hier erscheint",
        "Afficher ce qui s’affiche ici";
    shown_here:
        "Shown here, in this order",
        "Erscheint hier, in dieser Reihenfolge",
        "Affichées ici, dans cet ordre";
    nothing_shown:
        "Nothing shows in this context.",
        "In diesem Kontext erscheint nichts.",
        "Rien ne s’affiche dans ce contexte.";
    almost_shown:
        "Almost shown",
        "Fast erschienen",
        "Presque affichées";
    nothing_almost:
        "No other snippet targets this context.",
        "Kein anderes Snippet zielt auf diesen Kontext.",
        "Aucune autre fiche ne vise ce contexte.";
    period:
        "Period",
        "Zeitraum",
        "Période";
    days:
        "days",
        "Tage",
        "jours";
    as_table:
        "As a table",
        "Als Tabelle",
        "En tableau";
    help_opened_over_time:
        "Help opened over time",
        "Geöffnete Hilfe im Zeitverlauf",
        "Aide ouverte au fil du temps";
    opens:
        "Panel opened",
        "Panel geöffnet",
        "Panneau ouvert";
    views:
        "Snippets viewed",
        "Snippets angesehen",
        "Fiches consultées";
    day:
        "Day",
        "Tag",
        "Jour";
    helpful_per_snippet:
        "Helpful rate per snippet",
        "Hilfreich-Quote je Snippet",
        "Taux d’utilité par fiche";
    helpful_rate:
        "Helpful",
        "Hilfreich",
        "Utile";
    helpful:
        "Helpful votes",
        "Stimmen „hilfreich“",
        "Votes « utile »";
    not_helpful:
        "Not helpful votes",
        "Stimmen „nicht hilfreich“",
        "Votes « pas utile »";
    interval:
        "95 % interval",
        "95-%-Intervall",
        "Intervalle à 95 %";
    snippets_viewed:
        "snippets viewed or rated",
        "Snippets angesehen oder bewertet",
        "fiches consultées ou notées";
    latest_comments:
        "Latest “not helpful” comments",
        "Neueste Kommentare „nicht hilfreich“",
        "Derniers commentaires « pas utile »";
    no_place:
        "(page without route)",
        "(Seite ohne Route)",
        "(page sans route)";
    demand:
        "Where help is wanted",
        "Wo Hilfe gebraucht wird",
        "Où l’aide est demandée";
    place:
        "Place",
        "Ort",
        "Lieu";
    help_key:
        "Help key",
        "Hilfeschlüssel",
        "Clé d’aide";
    write_help:
        "Write help for this",
        "Hilfe dafür schreiben",
        "Écrire l’aide pour ceci";
    gaps:
        "Where help is missing",
        "Wo Hilfe fehlt",
        "Où l’aide manque";
    times:
        "Times",
        "Anzahl",
        "Fois";
    fields_without_help:
        "Fields seen without any help",
        "Felder ohne jede Hilfe",
        "Champs vus sans aucune aide";
    opened_without_help:
        "Help opened, nothing specific found",
        "Hilfe geöffnet, nichts Passendes gefunden",
        "Aide ouverte, rien de précis trouvé";
    searches_without_answer:
        "Searches without an answer",
        "Suchen ohne Antwort",
        "Recherches sans réponse";
    search_words:
        "Words searched",
        "Gesuchte Wörter",
        "Mots recherchés";
    searches:
        "Searches",
        "Suchen",
        "Recherches";
    found_nothing:
        "Found nothing",
        "Nichts gefunden",
        "Rien trouvé";
    nothing_opened:
        "Nothing opened",
        "Nichts geöffnet",
        "Rien ouvert";
    stale:
        "Stale help",
        "Veraltete Hilfe",
        "Aide obsolète";
    stale_hint:
        "Published snippets whose fields or pages workers no longer meet.",
        "Veröffentlichte Snippets, deren Felder oder Seiten nicht mehr vorkommen.",
        "Fiches publiées dont les champs ou pages ne sont plus rencontrés.";
    last_seen:
        "Last seen",
        "Zuletzt gesehen",
        "Vue pour la dernière fois";
    last_app_version:
        "Last app version",
        "Letzte App-Version",
        "Dernière version";
    vanished_in:
        "Gone since version",
        "Verschwunden seit Version",
        "Disparue depuis la version";
    never:
        "never",
        "nie",
        "jamais";
    coverage:
        "Coverage: fields that have help",
        "Abdeckung: Felder mit Hilfe",
        "Couverture : champs avec aide";
    coverage_by_place:
        "Coverage by place",
        "Abdeckung nach Ort",
        "Couverture par lieu";
    share_with_help:
        "Share with help",
        "Anteil mit Hilfe",
        "Part avec aide";
    fields_seen:
        "Fields seen",
        "Gesehene Felder",
        "Champs vus";
    fields_with_help:
        "With help",
        "Mit Hilfe",
        "Avec aide";
    chart_in_all:
        "in all",
        "insgesamt",
        "au total";
    chart_most:
        "most",
        "höchstens",
        "au plus";
    chart_no_data:
        "No data in this period",
        "Keine Daten in diesem Zeitraum",
        "Aucune donnée sur cette période";
    chart_highest:
        "highest",
        "höchster Wert",
        "valeur la plus haute";
    settings:
        "Settings",
        "Einstellungen",
        "Réglages";
    site_name:
        "Name",
        "Name",
        "Nom";
    origins:
        "Allowed origins",
        "Erlaubte Origins",
        "Origines autorisées";
    origins_hint:
        "One per line: the addresses of the app's pages (https://app.example.com).",
        "Eine pro Zeile: die Adressen der App-Seiten (https://app.example.com).",
        "Une par ligne : les adresses des pages de l’application (https://app.example.com).";
    locales:
        "Locales",
        "Sprachen",
        "Langues";
    locales_hint:
        "Comma-separated; the default first.",
        "Durch Kommas getrennt; die Standardsprache zuerst.",
        "Séparées par des virgules ; la langue par défaut d’abord.";
    widget_look:
        "Widget look",
        "Aussehen des Widgets",
        "Apparence du widget";
    launcher_label:
        "Launcher text",
        "Text des Starters",
        "Texte du bouton";
    launcher_position:
        "Launcher position",
        "Position des Starters",
        "Position du bouton";
    bottom_right:
        "Bottom right",
        "Unten rechts",
        "En bas à droite";
    bottom_left:
        "Bottom left",
        "Unten links",
        "En bas à gauche";
    accent_color:
        "Accent colour",
        "Akzentfarbe",
        "Couleur d’accent";
    surface_color:
        "Panel colour",
        "Panelfarbe",
        "Couleur du panneau";
    text_color:
        "Text colour",
        "Textfarbe",
        "Couleur du texte";
    corner_radius:
        "Corner radius (px)",
        "Eckenradius (px)",
        "Rayon des coins (px)";
    font:
        "Font",
        "Schrift",
        "Police";
    hotspots:
        "Mark fields that have help on every page",
        "Felder mit Hilfe auf jeder Seite markieren",
        "Marquer les champs qui ont de l’aide sur chaque page";
    look_preview:
        "Preview of the launcher and panel",
        "Vorschau von Starter und Panel",
        "Aperçu du bouton et du panneau";
    preview_panel_heading:
        "Help for this page",
        "Hilfe zu dieser Seite",
        "Aide pour cette page";
    preview_card:
        "How to fill in this field",
        "So füllen Sie dieses Feld aus",
        "Comment remplir ce champ";
    preview_launcher:
        "Help",
        "Hilfe",
        "Aide";
    save_settings:
        "Save settings",
        "Einstellungen speichern",
        "Enregistrer les réglages";
    site_conflict:
        "Someone changed the settings meanwhile. Your entries are kept: check them and save again.",
        "Jemand hat die Einstellungen inzwischen geändert. Ihre Eingaben bleiben: prüfen und erneut speichern.",
        "Quelqu’un a modifié les réglages entre-temps. Vos saisies sont gardées : vérifiez-les et enregistrez à nouveau.";
    embed:
        "Embed the widget",
        "Widget einbinden",
        "Intégrer le widget";
    embed_hint:
        "Paste this line into every page of the app, before </body>.",
        "Diese Zeile in jede Seite der App einfügen, vor </body>.",
        "Collez cette ligne dans chaque page de l’application, avant </body>.";
    copy_embed:
        "Copy the embed line",
        "Einbindungszeile kopieren",
        "Copier la ligne d’intégration";
    copied:
        "Copied",
        "Kopiert",
        "Copié";
    keys:
        "Secret keys",
        "Geheime Schlüssel",
        "Clés secrètes";
    key_shown_once:
        "Copy this key now: it is shown only this once.",
        "Kopieren Sie diesen Schlüssel jetzt: Er wird nur dieses eine Mal angezeigt.",
        "Copiez cette clé maintenant : elle n’est affichée qu’une seule fois.";
    new_key:
        "New key",
        "Neuer Schlüssel",
        "Nouvelle clé";
    copy_key:
        "Copy the key",
        "Schlüssel kopieren",
        "Copier la clé";
    key_label:
        "Label",
        "Bezeichnung",
        "Libellé";
    role:
        "Role",
        "Rolle",
        "Rôle";
    key_prefix:
        "Starts with",
        "Beginnt mit",
        "Commence par";
    last_used:
        "Last used",
        "Zuletzt benutzt",
        "Dernière utilisation";
    key_state:
        "State",
        "Zustand",
        "État";
    actions:
        "Actions",
        "Aktionen",
        "Actions";
    active:
        "Active",
        "Aktiv",
        "Active";
    revoked:
        "Revoked",
        "Widerrufen",
        "Révoquée";
    expires:
        "Works until",
        "Gültig bis",
        "Valable jusqu’au";
    rotate:
        "Rotate",
        "Erneuern",
        "Renouveler";
    revoke:
        "Revoke",
        "Widerrufen",
        "Révoquer";
    rotate_hint:
        "Rotating makes a new key; the old one keeps working for a day, so apps can switch without downtime.",
        "Erneuern erstellt einen neuen Schlüssel; der alte funktioniert noch einen Tag, damit Apps ohne Ausfall wechseln.",
        "Renouveler crée une nouvelle clé ; l’ancienne fonctionne encore un jour, pour changer sans interruption.";
    create_key:
        "Create a key",
        "Schlüssel erstellen",
        "Créer une clé";
    role_viewer:
        "Viewer",
        "Lesen",
        "Lecture";
    role_author:
        "Author",
        "Autorin/Autor",
        "Auteur";
    role_publisher:
        "Publisher",
        "Veröffentlichen",
        "Publication";
    role_owner:
        "Owner",
        "Eigentümer",
        "Propriétaire";
    moment_new:
        "New: the first time",
        "Neu: das erste Mal",
        "Nouveau : la première fois";
    moment_more:
        "More: learning more",
        "Mehr: dazulernen",
        "Plus : en savoir plus";
    moment_apply:
        "Apply: doing the work",
        "Anwenden: bei der Arbeit",
        "Appliquer : pendant le travail";
    moment_solve:
        "Solve: something went wrong",
        "Lösen: etwas ging schief",
        "Résoudre : un problème survient";
    moment_change:
        "Change: things changed",
        "Ändern: etwas hat sich geändert",
        "Changer : quelque chose a changé";
    status_draft:
        "Draft",
        "Entwurf",
        "Brouillon";
    status_published:
        "Published",
        "Veröffentlicht",
        "Publiée";
    status_archived:
        "Archived",
        "Archiviert",
        "Archivée";
    reason_field_key:
        "the focused field's help key",
        "Hilfeschlüssel des fokussierten Felds",
        "clé d’aide du champ actif";
    reason_ancestor_key:
        "a surrounding element's help key",
        "Hilfeschlüssel eines umgebenden Elements",
        "clé d’aide d’un élément parent";
    reason_route:
        "the route",
        "die Route",
        "la route";
    reason_url_pattern:
        "the URL pattern",
        "das URL-Muster",
        "le motif d’URL";
    reason_site_wide:
        "site-wide",
        "überall auf der Site",
        "tout le site";
    reason_for_role:
        "for role",
        "für Rolle",
        "pour le rôle";
    why_draft:
        "It is a draft: only published snippets show.",
        "Es ist ein Entwurf: Nur veröffentlichte Snippets erscheinen.",
        "C’est un brouillon : seules les fiches publiées s’affichent.";
    why_role:
        "It is for roles this context does not have:",
        "Es ist für Rollen, die dieser Kontext nicht hat:",
        "Elle est destinée à des rôles absents de ce contexte :";
    why_locale:
        "Its language is not among the context's languages:",
        "Seine Sprache gehört nicht zu den Sprachen des Kontexts:",
        "Sa langue ne fait pas partie des langues du contexte :";
    why_not_yet:
        "It shows only from",
        "Es erscheint erst ab",
        "Elle ne s’affiche qu’à partir du";
    why_expired:
        "It stopped showing on",
        "Es erscheint nicht mehr seit",
        "Elle ne s’affiche plus depuis le";
    why_version:
        "It is for app versions",
        "Es gilt für App-Versionen",
        "Elle concerne les versions";
    why_version_given:
        "this context has",
        "dieser Kontext hat",
        "ce contexte a";
    why_version_none:
        "this context gives none",
        "dieser Kontext nennt keine",
        "ce contexte n’en donne aucune";
    why_translation:
        "A translation of it shows instead:",
        "Stattdessen erscheint eine Übersetzung:",
        "Une traduction s’affiche à la place :";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
}

const STORAGE_KEY: &str = "cuecard.console.lang";

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::De, Lang::Fr];

    pub fn text(self) -> &'static Text {
        match self {
            Lang::En => &EN,
            Lang::De => &DE,
            Lang::Fr => &FR,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
        }
    }

    /// Each language's name in itself.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
            Lang::Fr => "Français",
        }
    }

    /// `de-AT` → German; unknown languages → none.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next().unwrap_or_default().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|lang| lang.tag() == primary)
    }

    /// What the author chose before, else the browser's first language we have, else English.
    pub fn initial() -> Lang {
        let window = web_sys::window();
        let chosen = window
            .as_ref()
            .and_then(|window| window.local_storage().ok().flatten())
            .and_then(|storage| storage.get_item(STORAGE_KEY).ok().flatten());
        let browser = window.as_ref().and_then(|window| window.navigator().language());
        chosen.iter().chain(browser.iter()).find_map(|tag| Lang::from_tag(tag)).unwrap_or(Lang::En)
    }

    pub fn remember(self) {
        if let Some(storage) = web_sys::window().and_then(|window| window.local_storage().ok().flatten()) {
            let _ = storage.set_item(STORAGE_KEY, self.tag());
        }
    }
}

pub fn role_name(text: &Text, role: KeyRole) -> &'static str {
    match role {
        KeyRole::Viewer => text.role_viewer,
        KeyRole::Author => text.role_author,
        KeyRole::Publisher => text.role_publisher,
        KeyRole::Owner => text.role_owner,
    }
}

pub fn moment_name(text: &Text, moment: &str) -> &'static str {
    match moment {
        "new" => text.moment_new,
        "more" => text.moment_more,
        "solve" => text.moment_solve,
        "change" => text.moment_change,
        _ => text.moment_apply,
    }
}

pub fn status_name(text: &Text, status: &str) -> &'static str {
    match status {
        "published" => text.status_published,
        "archived" => text.status_archived,
        _ => text.status_draft,
    }
}

/// `2026-12-03T14:05:09Z` → `2026-12-03 14:05`.
pub fn short_time(time: &str) -> String {
    time.chars().take(16).collect::<String>().replace('T', " ")
}

/// Why a snippet matched, in words: "the route /claims/new · for role approver · en".
pub fn reason_text(text: &Text, reason: &wire::Reason) -> String {
    let kind = match reason.kind {
        wire::ReasonKind::FieldKey => text.reason_field_key,
        wire::ReasonKind::AncestorKey => text.reason_ancestor_key,
        wire::ReasonKind::Route => text.reason_route,
        wire::ReasonKind::UrlPattern => text.reason_url_pattern,
        wire::ReasonKind::SiteWide => text.reason_site_wide,
    };
    let mut parts = vec![match &reason.target {
        Some(target) => format!("{kind} {target}"),
        None => kind.to_owned(),
    }];
    if let Some(role) = &reason.role {
        parts.push(format!("{} {role}", text.reason_for_role));
    }
    parts.push(reason.locale.clone());
    parts.join(" · ")
}

/// Why a snippet does not show, in words.
pub fn why_not_text(text: &Text, why: &wire::admin::WhyNot) -> String {
    use wire::admin::WhyNot;
    match why {
        WhyNot::Draft => text.why_draft.to_owned(),
        WhyNot::Role { needs } => format!("{} {}", text.why_role, needs.join(", ")),
        WhyNot::Locale { locale, chain } => format!("{} {locale} ∉ {}", text.why_locale, chain.join(" → ")),
        WhyNot::NotYetPublished { publish_at } => format!("{} {}", text.why_not_yet, short_time(publish_at)),
        WhyNot::Expired { expire_at } => format!("{} {}", text.why_expired, short_time(expire_at)),
        WhyNot::AppVersion { range, version } => match version {
            Some(version) => format!("{} {range}; {} {version}", text.why_version, text.why_version_given),
            None => format!("{} {range}; {}", text.why_version, text.why_version_none),
        },
        WhyNot::Translation { shown } => format!("{} #{shown}", text.why_translation),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_found_from_browser_tags() {
        assert_eq!(Lang::from_tag("de-AT"), Some(Lang::De));
        assert_eq!(Lang::from_tag("fr_CA"), Some(Lang::Fr));
        assert_eq!(Lang::from_tag("EN"), Some(Lang::En));
        assert_eq!(Lang::from_tag("ja"), None);
    }

    #[test]
    fn names_come_in_the_language_of_the_words_given() {
        assert_eq!(role_name(Lang::De.text(), KeyRole::Owner), "Eigentümer");
        assert_eq!(status_name(Lang::Fr.text(), "draft"), "Brouillon");
        assert_eq!(moment_name(Lang::En.text(), "solve"), "Solve: something went wrong");
    }

    #[test]
    fn every_language_has_every_word() {
        for lang in Lang::ALL {
            let words = format!("{:?}", lang.text());
            assert!(!words.contains(": \"\""), "{lang:?} has an empty string");
        }
    }
}
