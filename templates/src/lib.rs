//! The files oxdist generates, kept as Handlebars templates under
//! `templates/files/` rather than as strings in code.
//!
//! Templates are compiled into the binary (so an installed `oxdist` needs no
//! data directory) and rendered without HTML escaping: none of them is HTML
//! unless its name says so, and escaping would corrupt configs and scripts.
//! Templates whose name ends in `.html.hbs` are the exception: their values
//! are HTML-escaped, because they carry text from outside (package names,
//! copyright lines, license texts) that must not become markup.

use handlebars::Handlebars;
use serde::Serialize;

/// Why a template could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("cannot render template {name}: {message}")]
pub struct TemplateError {
    pub name: &'static str,
    pub message: String,
}

/// A template oxdist knows how to render.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    /// `oxdist.star` written by `oxdist init`.
    InitConfig,
    /// `app/README.txt` written by `oxdist init`.
    InitAppReadme,
    /// The configuration zero-config derives from a `pyproject.toml` (and
    /// `oxdist init --from-pyproject` writes). Values arrive as Starlark
    /// literals, quoted by the caller.
    PyprojectConfig,
    /// The launcher project's `Cargo.toml`.
    LauncherCargoToml,
    /// The launcher project's `main.rs`.
    LauncherMain,
    /// The launcher project's `build.rs` (the link line for libpython).
    LauncherBuild,
    /// The pyo3 configuration the launcher is built with.
    LauncherPyo3Config,
    /// `zig-cc`: `zig cc` as the C compiler and linker of a macOS launcher.
    LauncherZigCc,
    /// A freedesktop.org `.desktop` menu entry for Linux packages.
    DesktopEntry,
    /// A `.deb`'s `preinst` maintainer script.
    DebPreinst,
    /// A `.deb`'s `postinst` maintainer script.
    DebPostinst,
    /// A `.deb`'s `prerm` maintainer script.
    DebPrerm,
    /// A `.deb`'s `postrm` maintainer script.
    DebPostrm,
    /// An `.rpm`'s `%pre` scriptlet.
    RpmPre,
    /// An `.rpm`'s `%post` scriptlet.
    RpmPost,
    /// An `.rpm`'s `%preun` scriptlet.
    RpmPreun,
    /// An `.rpm`'s `%postun` scriptlet.
    RpmPostun,
    /// `THIRD-PARTY-NOTICES.txt`: the third-party components and their licenses.
    NoticesText,
    /// `THIRD-PARTY-NOTICES.html`: the same notices as a web page (escaped).
    NoticesHtml,
}

impl Template {
    /// Path of the template below `templates/files/`.
    pub fn name(self) -> &'static str {
        match self {
            Template::InitConfig => "init/oxdist.star.hbs",
            Template::InitAppReadme => "init/README.txt.hbs",
            Template::PyprojectConfig => "pyproject/oxdist.star.hbs",
            Template::LauncherCargoToml => "launcher/Cargo.toml.hbs",
            Template::LauncherMain => "launcher/main.rs.hbs",
            Template::LauncherBuild => "launcher/build.rs.hbs",
            Template::LauncherPyo3Config => "launcher/pyo3-config.txt.hbs",
            Template::LauncherZigCc => "launcher/zig-cc.hbs",
            Template::DesktopEntry => "linux/app.desktop.hbs",
            Template::DebPreinst => "deb/preinst.hbs",
            Template::DebPostinst => "deb/postinst.hbs",
            Template::DebPrerm => "deb/prerm.hbs",
            Template::DebPostrm => "deb/postrm.hbs",
            Template::RpmPre => "rpm/pre.hbs",
            Template::RpmPost => "rpm/post.hbs",
            Template::RpmPreun => "rpm/preun.hbs",
            Template::RpmPostun => "rpm/postun.hbs",
            Template::NoticesText => "notices/THIRD-PARTY-NOTICES.txt.hbs",
            Template::NoticesHtml => "notices/THIRD-PARTY-NOTICES.html.hbs",
        }
    }

    fn source(self) -> &'static str {
        match self {
            Template::InitConfig => include_str!("../files/init/oxdist.star.hbs"),
            Template::InitAppReadme => include_str!("../files/init/README.txt.hbs"),
            Template::PyprojectConfig => include_str!("../files/pyproject/oxdist.star.hbs"),
            Template::LauncherCargoToml => include_str!("../files/launcher/Cargo.toml.hbs"),
            Template::LauncherMain => include_str!("../files/launcher/main.rs.hbs"),
            Template::LauncherBuild => include_str!("../files/launcher/build.rs.hbs"),
            Template::LauncherPyo3Config => include_str!("../files/launcher/pyo3-config.txt.hbs"),
            Template::LauncherZigCc => include_str!("../files/launcher/zig-cc.hbs"),
            Template::DesktopEntry => include_str!("../files/linux/app.desktop.hbs"),
            Template::DebPreinst => include_str!("../files/deb/preinst.hbs"),
            Template::DebPostinst => include_str!("../files/deb/postinst.hbs"),
            Template::DebPrerm => include_str!("../files/deb/prerm.hbs"),
            Template::DebPostrm => include_str!("../files/deb/postrm.hbs"),
            Template::RpmPre => include_str!("../files/rpm/pre.hbs"),
            Template::RpmPost => include_str!("../files/rpm/post.hbs"),
            Template::RpmPreun => include_str!("../files/rpm/preun.hbs"),
            Template::RpmPostun => include_str!("../files/rpm/postun.hbs"),
            Template::NoticesText => include_str!("../files/notices/THIRD-PARTY-NOTICES.txt.hbs"),
            Template::NoticesHtml => include_str!("../files/notices/THIRD-PARTY-NOTICES.html.hbs"),
        }
    }

    /// Whether the template is HTML, whose values must be escaped.
    pub fn is_html(self) -> bool {
        self.name().ends_with(".html.hbs")
    }
}

/// Renders `template` with `data`. Missing variables are errors, not blanks.
/// Values in HTML templates are escaped (`{{value}}`; a triple-stash
/// `{{{value}}}` would bypass it, so HTML templates do not use one).
pub fn render(template: Template, data: &impl Serialize) -> Result<String, TemplateError> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    if template.is_html() {
        registry.register_escape_fn(handlebars::html_escape);
    } else {
        registry.register_escape_fn(handlebars::no_escape);
    }
    let err = |e: &dyn std::fmt::Display| TemplateError {
        name: template.name(),
        message: e.to_string(),
    };
    registry
        .register_template_string(template.name(), template.source())
        .map_err(|e| err(&e))?;
    registry.render(template.name(), data).map_err(|e| err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_config_snapshot() {
        let data = serde_json::json!({
            "name": "hello",
            "version": "0.1.0",
            "description": "hello, packaged by oxdist",
            "license": "MIT",
        });
        insta::assert_snapshot!(render(Template::InitConfig, &data).unwrap());
    }

    #[test]
    fn html_templates_escape_values_and_others_do_not() {
        let data = serde_json::json!({
            "product": "<script>x</script> & co",
            "spdx_list_version": "3.29.0",
            "groups": [],
            "component_texts": [],
            "spdx_texts": [],
        });
        assert!(Template::NoticesHtml.is_html() && !Template::NoticesText.is_html());
        let html = render(Template::NoticesHtml, &data).unwrap();
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt; &amp; co"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        let text = render(Template::NoticesText, &data).unwrap();
        assert!(text.contains("<script>x</script> & co"), "{text}");
    }

    #[test]
    fn missing_variables_are_errors() {
        let err = render(Template::InitConfig, &serde_json::json!({"name": "x"})).unwrap_err();
        assert!(err.to_string().contains("init/oxdist.star.hbs"), "{err}");
    }
}
