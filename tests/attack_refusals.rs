//! Refusals played by hostile responders in scope, through every stack that recovers from them
//! (reqwest 0.13 and 0.12 middleware, the tower layer): what one host says about the clock
//! moves only that host's signing time, a `Date` near the end of time is ignored rather than
//! learned (and nothing panics later), and a host that refuses every credential cannot
//! multiply requests or credential loads.
#![cfg(all(feature = "reqwest-0-13", feature = "reqwest-0-12", feature = "tower"))]

#[path = "support/capture_logs.rs"]
mod capture_logs;
#[path = "support/stack.rs"]
mod stack;
#[path = "support/wire.rs"]
mod wire;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{ProvideCredentials, future};
use reqwest_aws_auth::AwsAuth;
use stack::{MIDDLEWARE, send};
use wiremock::{Request, ResponseTemplate};

const DAY: Duration = Duration::from_secs(24 * 3600);

fn auth() -> AwsAuth {
    AwsAuth::builder()
        .service("execute-api")
        .region("us-east-1")
        .credentials(Credentials::new(
            "AKIDCLOCK",
            "clock-secret",
            None,
            None,
            "test",
        ))
        .build()
        .unwrap()
}

/// `YYYYMMDD` of `time`, as `x-amz-date` starts.
fn amz_day(time: SystemTime) -> String {
    let days = (time.duration_since(UNIX_EPOCH).unwrap().as_secs() / 86_400) as i64;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

fn dates(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| r.headers["x-amz-date"].to_str().unwrap()[..8].to_owned())
        .collect()
}

fn clock_refusal(date: &str) -> ResponseTemplate {
    ResponseTemplate::new(403)
        .insert_header("x-amzn-errortype", "InvalidSignatureException")
        .insert_header("date", date)
        .set_body_string(r#"{"message":"Signature expired"}"#)
}

async fn presigned_day(auth: &AwsAuth, url: &str) -> String {
    let request = reqwest::Client::new().get(url).build().unwrap();
    let url = auth
        .presign(&request, Duration::from_secs(60))
        .await
        .unwrap();
    let date = url
        .query_pairs()
        .find(|(k, _)| k == "X-Amz-Date")
        .unwrap()
        .1
        .into_owned();
    date[..8].to_owned()
}

#[tokio::test]
async fn one_hosts_clock_moves_only_that_hosts_signatures() {
    let today = amz_day(SystemTime::now());
    let ahead = amz_day(SystemTime::now() + 6 * DAY);
    for stack in MIDDLEWARE {
        let (logs, _guard) = capture_logs::capture();
        let liar = wire::scripted(vec![
            clock_refusal(&httpdate::fmt_http_date(SystemTime::now() + 6 * DAY)),
            ResponseTemplate::new(200),
        ])
        .await;
        let other = wire::scripted(vec![ResponseTemplate::new(200)]).await;
        let auth = auth();

        let seen = send(stack, &auth, "GET", &format!("{}/a", liar.uri()), &[], b"").await;
        assert_eq!(seen.map(|(s, _)| s), Ok(200), "{stack:?}: re-sent once");
        let at_liar = liar.received_requests().await.unwrap();
        assert_eq!(dates(&at_liar), [today.clone(), ahead.clone()], "{stack:?}");
        let warned = logs.text();
        assert!(
            warned.contains("WARN")
                && warned.contains(&format!("127.0.0.1:{}", liar.address().port())),
            "{stack:?}: the warning names the host: {warned}"
        );

        let seen = send(stack, &auth, "GET", &format!("{}/b", other.uri()), &[], b"").await;
        assert_eq!(seen.map(|(s, _)| s), Ok(200), "{stack:?}");
        let at_other = other.received_requests().await.unwrap();
        assert_eq!(
            dates(&at_other),
            [today.as_str()],
            "{stack:?}: another host keeps this clock"
        );
        assert_eq!(
            presigned_day(&auth, &format!("{}/p", other.uri())).await,
            today
        );
        assert_eq!(
            presigned_day(&auth, &format!("{}/p", liar.uri())).await,
            ahead
        );
    }
}

#[tokio::test]
async fn a_date_at_the_end_of_time_is_ignored_and_nothing_panics_later() {
    let today = amz_day(SystemTime::now());
    for stack in MIDDLEWARE {
        let liar = wire::scripted(vec![clock_refusal("Fri, 31 Dec 9999 23:59:58 GMT")]).await;
        let other = wire::scripted(vec![ResponseTemplate::new(200)]).await;
        let auth = auth();
        let seen = send(stack, &auth, "GET", &format!("{}/a", liar.uri()), &[], b"").await;
        assert_eq!(
            seen.map(|(s, _)| s),
            Ok(403),
            "{stack:?}: the refusal is handed on"
        );
        assert_eq!(
            liar.received_requests().await.unwrap().len(),
            1,
            "{stack:?}: not re-sent"
        );

        tokio::time::sleep(Duration::from_millis(2100)).await;
        for url in [
            format!("{}/b", other.uri()),
            format!("{}/again", liar.uri()),
        ] {
            let seen = send(stack, &auth, "GET", &url, &[], b"").await;
            assert!(seen.is_ok(), "{stack:?}: {url}: {seen:?}");
            assert_eq!(presigned_day(&auth, &url).await, today, "{stack:?}: {url}");
        }
        let at_other = other.received_requests().await.unwrap();
        assert_eq!(dates(&at_other), [today.as_str()], "{stack:?}");
    }
}

/// Hands out new credentials on every load, and counts the loads.
#[derive(Debug)]
struct Counting(Arc<AtomicUsize>);

impl ProvideCredentials for Counting {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        future::ProvideCredentials::ready(Ok(Credentials::new(
            format!("AKIDLOAD{n}"),
            "secret",
            Some(format!("token-{n}")),
            Some(SystemTime::now() + Duration::from_secs(3600)),
            "counting",
        )))
    }
}

#[tokio::test]
async fn a_host_that_refuses_every_credential_cannot_amplify() {
    for stack in MIDDLEWARE {
        let loads = Arc::new(AtomicUsize::new(0));
        let auth = AwsAuth::builder()
            .service("execute-api")
            .region("us-east-1")
            .credentials_provider(Counting(loads.clone()))
            .build()
            .unwrap();
        let server = wire::scripted(vec![
            ResponseTemplate::new(403)
                .insert_header("x-amzn-errortype", "ExpiredTokenException")
                .set_body_string(
                    r#"{"message":"The security token included in the request is expired"}"#,
                ),
        ])
        .await;
        for _ in 0..5 {
            let seen = send(
                stack,
                &auth,
                "POST",
                &format!("{}/orders", server.uri()),
                &[],
                b"{}",
            )
            .await;
            assert_eq!(seen.map(|(s, _)| s), Ok(403), "{stack:?}");
        }
        let wire = server.received_requests().await.unwrap().len();
        let loads = loads.load(Ordering::SeqCst);
        assert!(
            wire <= 6,
            "{stack:?}: {wire} requests on the wire for 5 POSTs"
        );
        assert!(loads <= 2, "{stack:?}: {loads} credential loads");
        assert_eq!(
            wire, 6,
            "{stack:?}: the first refusal is still recovered from once"
        );
    }
}
