//! OAuth provider presets: authorize and token URLs, default scopes, whether PKCE is used and the
//! extra authorize parameters a provider needs for a refresh token (reference/oauth-providers.md).
//! A connection names a preset and fills its placeholders (`region`, `tenant_id`, `instance`,
//! `domain`); `custom` takes explicit URLs.

use super::regions::Region;

/// One provider preset.
#[derive(Debug, Clone, Copy)]
pub struct Preset {
    /// The name used in `provider = "…"`.
    pub name: &'static str,
    /// Human name.
    pub title: &'static str,
    /// Authorize URL template with `{placeholders}`.
    pub authorize_url: &'static str,
    /// Token URL template.
    pub token_url: &'static str,
    /// Scopes used when the connection names none.
    pub default_scopes: &'static [&'static str],
    /// Whether the authorization code flow uses PKCE (S256).
    pub pkce: bool,
    /// Extra parameters of the authorize request.
    pub authorize_params: &'static [(&'static str, &'static str)],
    /// What the user must know about it.
    pub notes: &'static str,
}

/// Every preset (`custom` is handled apart: it has no URLs of its own).
pub const PRESETS: &[Preset] = &[
    Preset {
        name: "genesys",
        title: "Genesys Cloud",
        authorize_url: "https://login.{region}/oauth/authorize",
        token_url: "https://login.{region}/oauth/token",
        default_scopes: &[],
        pkce: true,
        authorize_params: &[],
        notes: "region = SDK name, AWS region or domain; permissions come from the OAuth client's roles",
    },
    Preset {
        name: "cxone",
        title: "NICE CXone",
        authorize_url: "https://cxone.niceincontact.com/auth/authorize",
        token_url: "https://cxone.niceincontact.com/auth/token",
        default_scopes: &["openid"],
        pkce: true,
        authorize_params: &[],
        notes: "unattended runs use the access-key password grant instead",
    },
    Preset {
        name: "sharepoint",
        title: "SharePoint (Microsoft Entra ID)",
        authorize_url: "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/authorize",
        token_url: "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token",
        default_scopes: &[
            "https://{domain}/AllSites.Manage",
            "offline_access",
            "openid",
        ],
        pkce: true,
        authorize_params: &[],
        notes: "offline_access yields the refresh token; client credentials with scope https://graph.microsoft.com/.default need admin consent",
    },
    Preset {
        name: "entra",
        title: "Microsoft Entra ID (Graph)",
        authorize_url: "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/authorize",
        token_url: "https://login.microsoftonline.com/{tenant_id}/oauth2/v2.0/token",
        default_scopes: &["https://graph.microsoft.com/.default"],
        pkce: true,
        authorize_params: &[],
        notes: "for grant = \"client_credentials\" with application permissions and admin consent",
    },
    Preset {
        name: "servicenow",
        title: "ServiceNow",
        authorize_url: "https://{instance}.service-now.com/oauth_auth.do",
        token_url: "https://{instance}.service-now.com/oauth_token.do",
        default_scopes: &[
            "useraccount",
            "openid",
            "profile",
            "email",
            "offline_access",
        ],
        pkce: false,
        authorize_params: &[],
        notes: "access tokens last 1,800 s and refresh tokens 100 days by default; the client secret is shown once",
    },
    Preset {
        name: "salesforce",
        title: "Salesforce",
        authorize_url: "https://{instance}.salesforce.com/services/oauth2/authorize",
        token_url: "https://{instance}.salesforce.com/services/oauth2/token",
        default_scopes: &["api", "refresh_token", "offline_access"],
        pkce: true,
        authorize_params: &[],
        notes: "",
    },
    Preset {
        name: "google_drive",
        title: "Google Drive",
        authorize_url: "https://accounts.google.com/o/oauth2/auth",
        token_url: "https://oauth2.googleapis.com/token",
        default_scopes: &["https://www.googleapis.com/auth/drive"],
        pkce: false,
        authorize_params: &[("prompt", "consent"), ("access_type", "offline")],
        notes: "access_type=offline and prompt=consent are what yield a refresh token",
    },
    Preset {
        name: "google_sheets",
        title: "Google Sheets",
        authorize_url: "https://accounts.google.com/o/oauth2/auth",
        token_url: "https://oauth2.googleapis.com/token",
        default_scopes: &[
            "https://www.googleapis.com/auth/drive",
            "https://www.googleapis.com/auth/spreadsheets",
        ],
        pkce: false,
        authorize_params: &[("prompt", "consent"), ("access_type", "offline")],
        notes: "",
    },
    Preset {
        name: "google_calendar",
        title: "Google Calendar",
        authorize_url: "https://accounts.google.com/o/oauth2/auth",
        token_url: "https://oauth2.googleapis.com/token",
        default_scopes: &["https://www.googleapis.com/auth/calendar"],
        pkce: false,
        authorize_params: &[("prompt", "consent"), ("access_type", "offline")],
        notes: "",
    },
    Preset {
        name: "apigee",
        title: "Apigee",
        authorize_url: "https://accounts.google.com/o/oauth2/auth",
        token_url: "https://accounts.google.com/o/oauth2/token",
        default_scopes: &["https://www.googleapis.com/auth/cloud-platform"],
        pkce: false,
        authorize_params: &[("prompt", "consent"), ("access_type", "offline")],
        notes: "",
    },
    Preset {
        name: "confluence",
        title: "Confluence (Atlassian Cloud, OAuth 2.0 3LO)",
        authorize_url: "https://auth.atlassian.com/authorize",
        token_url: "https://auth.atlassian.com/oauth/token",
        default_scopes: &[
            "read:confluence-content.all",
            "read:confluence-space.summary",
            "offline_access",
        ],
        pkce: false,
        authorize_params: &[("audience", "api.atlassian.com"), ("prompt", "consent")],
        notes: "offline_access yields the refresh token",
    },
];

/// Finds a preset; `atlassian` is another name for `confluence`.
pub fn preset(name: &str) -> Option<&'static Preset> {
    let name = if name == "atlassian" {
        "confluence"
    } else {
        name
    };
    PRESETS.iter().find(|p| p.name == name)
}

/// Values for a preset's `{placeholders}`.
#[derive(Debug, Clone, Default)]
pub struct Placeholders {
    /// Genesys region (name, AWS region or domain).
    pub region: Option<String>,
    /// Entra tenant id.
    pub tenant_id: Option<String>,
    /// ServiceNow / Salesforce instance.
    pub instance: Option<String>,
    /// SharePoint domain (`contoso.sharepoint.com`).
    pub domain: Option<String>,
}

/// Fills `{region}`, `{tenant_id}`, `{instance}`, `{domain}`; names the first one missing.
pub fn fill(template: &str, values: &Placeholders) -> Result<String, String> {
    let mut out = template.to_string();
    let region_domain = match &values.region {
        Some(r) => Some(
            Region::find(r)
                .map(|r| r.domain.to_string())
                .ok_or_else(|| format!("unknown Genesys region {r:?}"))?,
        ),
        None => None,
    };
    for (name, value) in [
        ("region", region_domain.as_ref()),
        ("tenant_id", values.tenant_id.as_ref()),
        ("instance", values.instance.as_ref()),
        ("domain", values.domain.as_ref()),
    ] {
        let key = format!("{{{name}}}");
        if out.contains(&key) {
            let value = value.ok_or_else(|| format!("this provider needs `{name}`"))?;
            if value.is_empty() || value.contains(['/', '?', '#', '@', ' ']) {
                return Err(format!("`{name}` = {value:?} is not a host name part"));
            }
            out = out.replace(&key, value);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(name: &str, values: &Placeholders) -> (String, String, Vec<String>) {
        let p = preset(name).unwrap();
        (
            fill(p.authorize_url, values).unwrap(),
            fill(p.token_url, values).unwrap(),
            p.default_scopes
                .iter()
                .map(|s| fill(s, values).unwrap())
                .collect(),
        )
    }

    /// Every row of the table in reference/oauth-providers.md.
    #[test]
    fn presets_match_the_reference_table() {
        let v = Placeholders {
            region: Some("mypurecloud.de".into()),
            tenant_id: Some("11111111-2222-3333-4444-555555555555".into()),
            instance: Some("acme".into()),
            domain: Some("acme.sharepoint.com".into()),
        };
        assert_eq!(
            urls("genesys", &v),
            (
                "https://login.mypurecloud.de/oauth/authorize".into(),
                "https://login.mypurecloud.de/oauth/token".into(),
                vec![]
            )
        );
        assert_eq!(
            urls("cxone", &v),
            (
                "https://cxone.niceincontact.com/auth/authorize".into(),
                "https://cxone.niceincontact.com/auth/token".into(),
                vec!["openid".into()]
            )
        );
        assert_eq!(
            urls("sharepoint", &v),
            (
                "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/authorize".into(),
                "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/oauth2/v2.0/token".into(),
                vec!["https://acme.sharepoint.com/AllSites.Manage".into(), "offline_access".into(), "openid".into()]
            )
        );
        assert_eq!(
            urls("entra", &v).2,
            vec!["https://graph.microsoft.com/.default".to_string()]
        );
        assert_eq!(
            urls("servicenow", &v),
            (
                "https://acme.service-now.com/oauth_auth.do".into(),
                "https://acme.service-now.com/oauth_token.do".into(),
                [
                    "useraccount",
                    "openid",
                    "profile",
                    "email",
                    "offline_access"
                ]
                .map(String::from)
                .to_vec()
            )
        );
        assert_eq!(
            urls("salesforce", &v),
            (
                "https://acme.salesforce.com/services/oauth2/authorize".into(),
                "https://acme.salesforce.com/services/oauth2/token".into(),
                ["api", "refresh_token", "offline_access"]
                    .map(String::from)
                    .to_vec()
            )
        );
        for google in ["google_drive", "google_sheets", "google_calendar"] {
            let (a, t, _) = urls(google, &v);
            assert_eq!(
                (a.as_str(), t.as_str()),
                (
                    "https://accounts.google.com/o/oauth2/auth",
                    "https://oauth2.googleapis.com/token"
                )
            );
            let p = preset(google).unwrap();
            assert!(
                p.authorize_params.contains(&("prompt", "consent"))
                    && p.authorize_params.contains(&("access_type", "offline"))
            );
            assert!(
                !p.pkce,
                "the reference says Google does not take PKCE there"
            );
        }
        assert_eq!(
            urls("google_drive", &v).2,
            vec!["https://www.googleapis.com/auth/drive".to_string()]
        );
        assert!(
            urls("google_sheets", &v)
                .2
                .contains(&"https://www.googleapis.com/auth/spreadsheets".to_string())
        );
        assert_eq!(
            urls("google_calendar", &v).2,
            vec!["https://www.googleapis.com/auth/calendar".to_string()]
        );
        assert_eq!(
            urls("apigee", &v),
            (
                "https://accounts.google.com/o/oauth2/auth".into(),
                "https://accounts.google.com/o/oauth2/token".into(),
                vec!["https://www.googleapis.com/auth/cloud-platform".into()]
            )
        );
        let (a, t, scopes) = urls("atlassian", &v);
        assert_eq!(
            (a.as_str(), t.as_str()),
            (
                "https://auth.atlassian.com/authorize",
                "https://auth.atlassian.com/oauth/token"
            )
        );
        assert!(scopes.contains(&"offline_access".to_string()));
        assert!(
            preset("confluence")
                .unwrap()
                .authorize_params
                .contains(&("audience", "api.atlassian.com"))
        );
    }

    #[test]
    fn missing_or_odd_placeholders_are_named() {
        let err = fill(
            preset("servicenow").unwrap().token_url,
            &Placeholders::default(),
        )
        .unwrap_err();
        assert!(err.contains("instance"), "{err}");
        let odd = Placeholders {
            instance: Some("evil.com/x".into()),
            ..Default::default()
        };
        assert!(fill(preset("servicenow").unwrap().token_url, &odd).is_err());
        let bad_region = Placeholders {
            region: Some("mars".into()),
            ..Default::default()
        };
        assert!(fill(preset("genesys").unwrap().token_url, &bad_region).is_err());
    }
}
