use reqwest_aws_auth::AwsAuth;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let auth = AwsAuth::builder()
        .service("execute-api") // the SigV4 signing name
        .region("eu-west-1") // optional: else AWS_REGION / AWS_DEFAULT_REGION / the profile
        .build()?; // validates only; no I/O
    let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(auth)
        .build();
    let url = std::env::var("QUICKSTART_URL")
        .unwrap_or_else(|_| "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/items".into());
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(r#"{"name":"widget"}"#)
        .send()
        .await?; // credentials are loaded here, on the first request
    let status = response.status();
    let body = response.text().await?;
    if !status.is_success() {
        eprintln!("{status}: {body}"); // a 403 says why: see "Debugging a 403" below
        std::process::exit(1);
    }
    println!("{status}: {body}");
    Ok(())
}
