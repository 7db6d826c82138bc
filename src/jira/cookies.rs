//! The session's cookies, kept by the `cookie_store` crate (RFC 6265: `Expires` dates with
//! their comma, `Max-Age`, `Path`, `Secure`) behind reqwest's `CookieStore` hook. The client
//! reads one value (the XSRF token) and forgets one (`JSESSIONID`, before a fresh login);
//! values never leave it otherwise.

use reqwest::header::HeaderValue;
use reqwest::Url;
use std::sync::{Mutex, MutexGuard};

/// A cookie jar the HTTP client fills from `Set-Cookie` and sends from on each request.
#[derive(Debug, Default)]
pub(super) struct Jar(Mutex<cookie_store::CookieStore>);

impl Jar {
    fn store(&self) -> MutexGuard<'_, cookie_store::CookieStore> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value of cookie `name` that a request to `url` would send.
    pub(super) fn get(&self, url: &Url, name: &str) -> Option<String> {
        self.store()
            .get_request_values(url)
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.to_string())
    }

    /// Forget every cookie called `name`, whatever its domain and path.
    pub(super) fn remove(&self, name: &str) {
        let mut store = self.store();
        let keys: Vec<(String, String)> = store
            .iter_any()
            .filter(|c| c.name() == name)
            .map(|c| {
                let domain = c
                    .domain
                    .as_cow()
                    .map(|d| d.into_owned())
                    .unwrap_or_default();
                (domain, c.path.to_string())
            })
            .collect();
        for (domain, path) in keys {
            store.remove(&domain, &path, name);
        }
    }

    /// Store the `Set-Cookie` headers of an answer from `url` (used by reqwest and tests).
    pub(super) fn store_headers<'a>(
        &self,
        headers: impl Iterator<Item = &'a HeaderValue>,
        url: &Url,
    ) {
        let cookies = headers.filter_map(|v| {
            let s = v.to_str().ok()?;
            cookie_store::RawCookie::parse(s.to_string()).ok()
        });
        self.store().store_response_cookies(cookies, url);
    }
}

impl reqwest::cookie::CookieStore for Jar {
    fn set_cookies(&self, cookie_headers: &mut dyn Iterator<Item = &HeaderValue>, url: &Url) {
        self.store_headers(cookie_headers, url);
    }

    fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let s = self
            .store()
            .get_request_values(url)
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        if s.is_empty() {
            return None;
        }
        HeaderValue::from_str(&s).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(jar: &Jar, url: &Url, header: &str) {
        let v = HeaderValue::from_str(header).unwrap();
        jar.store_headers(std::iter::once(&v), url);
    }

    #[test]
    fn cookies_are_replaced_and_expired() {
        let url = Url::parse("http://jira.example.com/secure/admin/ViewLogging.jspa").unwrap();
        let jar = Jar::default();
        set(&jar, &url, "JSESSIONID=A1; Path=/; HttpOnly");
        set(&jar, &url, "atlassian.xsrf.token=X|lout; Path=/");
        set(&jar, &url, "JSESSIONID=B2; Path=/");
        assert_eq!(jar.get(&url, "JSESSIONID").as_deref(), Some("B2"));
        assert_eq!(
            jar.get(&url, "atlassian.xsrf.token").as_deref(),
            Some("X|lout")
        );
        set(&jar, &url, "JSESSIONID=deleted; Max-Age=0; Path=/");
        assert_eq!(jar.get(&url, "JSESSIONID"), None);
        set(&jar, &url, "JSESSIONID=C3; Path=/");
        jar.remove("JSESSIONID");
        assert_eq!(jar.get(&url, "JSESSIONID"), None);
        assert!(jar.get(&url, "atlassian.xsrf.token").is_some());
    }

    #[test]
    fn an_expires_date_with_a_comma_is_kept_and_a_past_one_removes() {
        let url = Url::parse("https://jira.example.com/jira/rest/auth/1/session").unwrap();
        let jar = Jar::default();
        set(
            &jar,
            &url,
            "JSESSIONID=F00D; Expires=Wed, 21 Oct 2037 07:28:00 GMT; Path=/jira; Secure; HttpOnly",
        );
        assert_eq!(jar.get(&url, "JSESSIONID").as_deref(), Some("F00D"));
        use reqwest::cookie::CookieStore as _;
        assert_eq!(
            jar.cookies(&url).unwrap().to_str().unwrap(),
            "JSESSIONID=F00D"
        );
        set(
            &jar,
            &url,
            "JSESSIONID=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/jira",
        );
        assert_eq!(jar.get(&url, "JSESSIONID"), None);
    }
}
