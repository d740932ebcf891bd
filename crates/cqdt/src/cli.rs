//! The command line: `serve`, `migrate`, `seed`, `agencies import|export`,
//! `users create|reset-password`, `audit verify`, `backup`, `restore`, `files check|gc`,
//! `config example`.

use crate::config::{self, Config, Loaded};
use crate::{filestore, server};
use clap::{Args, Parser, Subcommand};
use cqdt_app::accounts::StaffInput;
use cqdt_app::agencies::Format;
use cqdt_app::audit::VerifyOutcome;
use cqdt_app::{AppError, Ctx};
use std::ffi::OsString;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(
    name = "cqdt",
    version,
    about = "cqdt — Chính quyền điện tử (e-government platform)"
)]
pub struct Cli {
    /// Configuration file (default: ./cqdt.toml if it exists).
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web application (the default command).
    Serve {
        /// Listen on this address instead of `server.listen` (e.g. 127.0.0.1:0 for any port).
        #[arg(long)]
        listen: Option<String>,
        /// Load the Tây Ninh demo data into an empty database even with a configuration.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Load the Tây Ninh demo data into an empty database.
    Seed {
        #[arg(long)]
        demo: bool,
    },
    /// Import or export the agency tree.
    #[command(subcommand)]
    Agencies(AgenciesCmd),
    /// Import or export the procedure catalogue.
    #[command(subcommand)]
    Procedures(ProceduresCmd),
    /// Create accounts and reset passwords.
    #[command(subcommand)]
    Users(UsersCmd),
    /// Audit log tools.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Take a consistent snapshot of the SQLite database and the files it names, while the
    /// server runs, into a new folder.
    Backup { dest: PathBuf },
    /// Restore a backup folder (or an old single-file database backup) into an empty data
    /// directory (the configured SQLite path and files folder).
    Restore { source: PathBuf },
    /// The files folder: integrity check and removal of orphan files.
    #[command(subcommand)]
    Files(FilesCmd),
    /// Configuration tools.
    #[command(subcommand)]
    Config(ConfigCmd),
}

#[derive(Subcommand, Debug)]
pub enum AgenciesCmd {
    /// Import a CSV or JSON file: all rows or none.
    Import {
        file: PathBuf,
        /// `csv` or `json` (default: from the file name).
        #[arg(long)]
        format: Option<String>,
    },
    /// Export the tree to a file or standard output.
    Export {
        #[arg(long, default_value = "csv")]
        format: String,
        file: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ProceduresCmd {
    /// Import a JSON or CSV file: all procedures or none; a known national code becomes its
    /// next version unless identical.
    Import {
        file: PathBuf,
        /// `csv` or `json` (default: from the file name, else json).
        #[arg(long)]
        format: Option<String>,
    },
    /// Export the catalogue (versions in effect) to a file or standard output.
    Export {
        /// `csv` or `json` (default: from the file name, else json).
        #[arg(long)]
        format: Option<String>,
        file: Option<PathBuf>,
    },
}

/// The catalogue file format: as given, else CSV for a `.csv` file, else JSON.
fn catalogue_format(
    format: Option<&str>,
    file: Option<&std::path::Path>,
) -> Result<Format, String> {
    match format {
        Some(f) => Format::parse(f).ok_or_else(|| "định dạng phải là csv hoặc json".to_string()),
        None if file
            .and_then(|f| f.extension())
            .is_some_and(|e| e.eq_ignore_ascii_case("csv")) =>
        {
            Ok(Format::Csv)
        }
        None => Ok(Format::Json),
    }
}

#[derive(Args, Debug)]
pub struct PasswordArgs {
    /// The password (prefer --password-stdin: arguments are visible to other users).
    #[arg(long)]
    pub password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Subcommand, Debug)]
pub enum UsersCmd {
    /// Create a staff account (or, with --admin, a platform administrator).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Platform-wide administrator (the first account of a new installation).
        #[arg(long)]
        admin: bool,
        /// Agency identifier of a staff account, e.g. 000.00.01.H53.
        #[arg(long)]
        agency: Option<String>,
        /// Role on that agency (repeatable).
        #[arg(long)]
        role: Vec<String>,
        #[command(flatten)]
        pw: PasswordArgs,
    },
    /// Set a new password and end the account's sessions.
    ResetPassword {
        /// E-mail or phone number.
        #[arg(long)]
        login: String,
        #[command(flatten)]
        pw: PasswordArgs,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCmd {
    /// Check the hash chain; exits non-zero and names the first bad entry.
    Verify,
}

#[derive(Subcommand, Debug)]
pub enum FilesCmd {
    /// Check every file record's bytes (missing or corrupt: exit code 1) and count orphans.
    Check,
    /// Delete orphan files (named by no record) older than the limit.
    Gc {
        /// Only files last written more than this many hours ago (at least 1).
        #[arg(long, default_value_t = 24)]
        older_than_hours: u64,
        /// Report what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Print a commented example configuration.
    Example,
}

fn password(pw: &PasswordArgs) -> Result<String, String> {
    if let Some(p) = &pw.password {
        return Ok(p.clone());
    }
    if pw.password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| e.to_string())?;
        return Ok(s.lines().next().unwrap_or("").to_string());
    }
    Err("cần --password hoặc --password-stdin (a password is required)".into())
}

/// A message for the operator: the Vietnamese text of the code, the code, and the detail.
pub(crate) fn explain(e: &AppError) -> String {
    let t = cqdt_web::i18n::Tr::new(cqdt_web::i18n::Lang::Vi);
    let mut s = format!("{} [{}]", t.error(e.code), e.code);
    if let Some(f) = &e.field {
        s.push_str(&format!(" ({})", t.field(f)));
    }
    for l in &e.lines {
        s.push_str(&format!(
            "\n  dòng {}: {}{}",
            l.line,
            l.field
                .as_deref()
                .map(|f| format!("{} — ", t.field(f)))
                .unwrap_or_default(),
            t.error(l.code)
        ));
    }
    if let Some(d) = &e.detail {
        s.push_str(&format!("\n  chi tiết: {d}"));
    }
    s
}

fn init_logs(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if config.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

pub async fn run(args: Vec<OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if let Some(Command::Config(ConfigCmd::Example)) = &cli.command {
        print!("{}", config::EXAMPLE);
        return ExitCode::SUCCESS;
    }
    let loaded = match config::load(cli.config.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    init_logs(&loaded.config);
    match execute(
        cli.command.unwrap_or(Command::Serve {
            listen: None,
            demo: false,
        }),
        loaded,
    )
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("lỗi: {msg}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(cmd: Command, loaded: Loaded) -> Result<(), String> {
    let config = loaded.config;
    match cmd {
        Command::Serve { listen, demo } => {
            let mut config = config;
            if let Some(l) = listen {
                config.server.listen = l;
            }
            serve(config, loaded.zero_config || demo).await
        }
        Command::Migrate => {
            server::open_app(&config).await.map_err(|e| explain(&e))?;
            println!("Cơ sở dữ liệu đã được cập nhật (migrations applied).");
            Ok(())
        }
        Command::Seed { demo } => {
            if !demo {
                return Err("chỉ hỗ trợ --demo (only --demo is supported)".into());
            }
            let app = server::open_app(&config).await.map_err(|e| explain(&e))?;
            if app.store.users_count().await.map_err(|e| explain(&e))? > 0 {
                return Err("cơ sở dữ liệu đã có dữ liệu; chỉ nạp dữ liệu mẫu vào CSDL trống (database not empty)".into());
            }
            let accounts = app.seed_demo().await.map_err(|e| explain(&e))?;
            app.seed_demo_documents().await.map_err(|e| explain(&e))?;
            print_accounts(&accounts);
            Ok(())
        }
        Command::Agencies(AgenciesCmd::Import { file, format }) => {
            let app = server::open_app(&config).await.map_err(|e| explain(&e))?;
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let format = match format {
                Some(f) => Format::parse(&f).ok_or("định dạng phải là csv hoặc json")?,
                None if file
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("json")) =>
                {
                    Format::Json
                }
                None => Format::Csv,
            };
            let r = app
                .agencies_import(&Ctx::cli(), format, &bytes)
                .await
                .map_err(|e| explain(&e))?;
            println!("Đã nhập {} cơ quan.", r.inserted);
            Ok(())
        }
        Command::Agencies(AgenciesCmd::Export { format, file }) => {
            let app = server::open_app(&config).await.map_err(|e| explain(&e))?;
            let format = Format::parse(&format).ok_or("định dạng phải là csv hoặc json")?;
            let bytes = app
                .agencies_export(&Ctx::cli(), format)
                .await
                .map_err(|e| explain(&e))?;
            match file {
                Some(p) => std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display())),
                None => {
                    use std::io::Write;
                    std::io::stdout()
                        .write_all(&bytes)
                        .map_err(|e| e.to_string())
                }
            }
        }
        Command::Procedures(ProceduresCmd::Import { file, format }) => {
            let format = catalogue_format(format.as_deref(), Some(&file))?;
            let app = server::open_app(&config).await.map_err(|e| explain(&e))?;
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let r = app
                .procedures_import_file(&Ctx::cli(), format, &bytes)
                .await
                .map_err(|e| explain(&e))?;
            println!(
                "Đã nhập {} thủ tục mới, {} phiên bản mới, {} không đổi.",
                r.inserted, r.new_versions, r.unchanged
            );
            Ok(())
        }
        Command::Procedures(ProceduresCmd::Export { format, file }) => {
            let format = catalogue_format(format.as_deref(), file.as_deref())?;
            let app = server::open_app(&config).await.map_err(|e| explain(&e))?;
            let bytes = app
                .procedures_export(&Ctx::cli(), format)
                .await
                .map_err(|e| explain(&e))?;
            match file {
                Some(p) => std::fs::write(&p, bytes).map_err(|e| format!("{}: {e}", p.display())),
                None => {
                    use std::io::Write;
                    std::io::stdout()
                        .write_all(&bytes)
                        .map_err(|e| e.to_string())
                }
            }
        }
        Command::Users(UsersCmd::Create {
            email,
            name,
            admin,
            agency,
            role,
            pw,
        }) => {
            let app = server::open_app(&config).await.map_err(|e| explain(&e))?;
            let password = password(&pw)?;
            let user = if admin {
                app.create_platform_admin(&name, &email, &password)
                    .await
                    .map_err(|e| explain(&e))?
            } else {
                let agency = agency.ok_or("cần --agency cho tài khoản cán bộ (or use --admin)")?;
                let input = StaffInput {
                    full_name: name,
                    email,
                    phone: None,
                    agency_identifier: agency,
                    password,
                    roles: role,
                };
                app.create_staff(&Ctx::cli(), &input)
                    .await
                    .map_err(|e| explain(&e))?
            };
            println!(
                "Đã tạo tài khoản {} ({}).",
                user.email.unwrap_or_default(),
                user.id
            );
            Ok(())
        }
        Command::Users(UsersCmd::ResetPassword { login, pw }) => {
            let app = server::open_app(&config).await.map_err(|e| explain(&e))?;
            let password = password(&pw)?;
            let u = app
                .reset_password(&Ctx::cli(), &login, &password)
                .await
                .map_err(|e| explain(&e))?;
            println!(
                "Đã đặt lại mật khẩu cho {} và kết thúc mọi phiên đăng nhập.",
                u.full_name
            );
            Ok(())
        }
        Command::Audit(AuditCmd::Verify) => {
            let app = server::open_app(&config).await.map_err(|e| explain(&e))?;
            match app.audit_verify().await.map_err(|e| explain(&e))? {
                VerifyOutcome::Intact { entries } => {
                    println!(
                        "Nhật ký toàn vẹn: {entries} bản ghi (audit chain intact: {entries} entries)."
                    );
                    Ok(())
                }
                VerifyOutcome::Broken(b) => Err(format!(
                    "nhật ký hệ thống đã bị sửa đổi (audit chain broken): {b}"
                )),
            }
        }
        Command::Backup { dest } => filestore::backup(&config, &dest).await,
        Command::Restore { source } => filestore::restore(&config, &source).await,
        Command::Files(FilesCmd::Check) => filestore::check(&config).await,
        Command::Files(FilesCmd::Gc {
            older_than_hours,
            dry_run,
        }) => filestore::gc(&config, older_than_hours, dry_run).await,
        Command::Config(ConfigCmd::Example) => Ok(()),
    }
}

fn print_accounts(accounts: &[cqdt_app::demo::DemoAccount]) {
    println!(
        "Tài khoản dùng thử (mật khẩu chung: {}):",
        cqdt_app::demo::DEMO_PASSWORD
    );
    for a in accounts {
        let role = cqdt_web::i18n::Tr::new(cqdt_web::i18n::Lang::Vi).s(&format!("role.{}", a.role));
        let role = if a.role == "citizen" {
            "Công dân"
        } else {
            role
        };
        println!(
            "  {:<28} {}{}",
            a.login,
            role,
            if a.agency.is_empty() {
                String::new()
            } else {
                format!(" — {}", a.agency)
            }
        );
    }
}

async fn serve(config: Config, zero_config: bool) -> Result<(), String> {
    let started = Instant::now();
    let (app, edxml) = server::open_app_with_exchange(&config)
        .await
        .map_err(|e| explain(&e))?;
    let mut demo = Vec::new();
    if zero_config && app.store.users_count().await.map_err(|e| explain(&e))? == 0 {
        demo = app.seed_demo().await.map_err(|e| explain(&e))?;
        app.seed_demo_documents().await.map_err(|e| explain(&e))?;
    }
    if !config.server.metrics_listen.is_empty() {
        match config.server.metrics_listen.parse::<std::net::SocketAddr>() {
            Ok(addr) => {
                if let Err(e) = metrics_exporter_prometheus::PrometheusBuilder::new()
                    .with_http_listener(addr)
                    .install()
                {
                    tracing::warn!(error = %e, "metrics listener not started");
                }
            }
            Err(e) => return Err(format!("server.metrics_listen: {e}")),
        }
    }
    let listener = tokio::net::TcpListener::bind(&config.server.listen)
        .await
        .map_err(|e| format!("{}: {e}", config.server.listen))?;
    let dispatcher_stop = Arc::new(AtomicBool::new(false));
    let dispatcher = if config.notifications.dispatch {
        Some(server::spawn_dispatcher(
            app.clone(),
            &config.notifications,
            Some(edxml.clone()),
            dispatcher_stop.clone(),
        )?)
    } else {
        None
    };
    let poller = server::spawn_edxml_poller(
        app.clone(),
        edxml,
        std::time::Duration::from_millis(config.exchange.poll_interval_ms.max(100)),
        dispatcher_stop.clone(),
    );
    let running = server::start(app, server::web_config(&config), listener)
        .await
        .map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    println!(
        "cqdt đang chạy tại http://{} (sẵn sàng sau {} ms)",
        running.addr,
        elapsed.as_millis()
    );
    if zero_config {
        println!(
            "Chế độ dùng thử: dữ liệu mẫu tỉnh Tây Ninh trong {}",
            config.database.url.0
        );
        if demo.is_empty() {
            println!(
                "Tài khoản dùng thử đã có sẵn; mật khẩu chung: {}",
                cqdt_app::demo::DEMO_PASSWORD
            );
        } else {
            print_accounts(&demo);
        }
    }
    tracing::info!(addr = %running.addr, ms = elapsed.as_millis() as u64, "ready");
    shutdown_signal().await;
    println!("Đang dừng: chờ các yêu cầu đang xử lý hoàn tất…");
    dispatcher_stop.store(true, Ordering::SeqCst);
    let grace = std::time::Duration::from_secs(config.server.shutdown_grace_secs);
    let stopped = tokio::time::timeout(grace, running.stop()).await;
    if let Some(d) = dispatcher {
        // The dispatcher finishes the message in hand; anything not marked delivered is sent
        // again after a restart (at least once), and receivers drop repeats by key.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), d).await;
    }
    if let Some(p) = poller {
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), p).await;
    }
    match stopped {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err("hết thời gian chờ dừng (shutdown grace period elapsed)".into()),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
