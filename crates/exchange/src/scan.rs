//! The virus-scan hook as an outside command (ClamAV's `clamdscan -`, or any scanner with
//! the same contract): the file on standard input; exit 0 clean, 1 infected (the output names
//! what was found); anything else, or no answer within the time limit, is a failure and the
//! upload is refused.

use async_trait::async_trait;
use cqdt_app::{AppError, AppResult, ScanVerdict, Scanner};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::AsyncWriteExt;

pub struct CommandScanner {
    program: String,
    args: Vec<String>,
    timeout: Duration,
}

impl CommandScanner {
    /// `command[0]` is the program, the rest its arguments. None when empty.
    pub fn new(command: &[String]) -> Option<CommandScanner> {
        let (program, args) = command.split_first()?;
        Some(CommandScanner {
            program: program.clone(),
            args: args.to_vec(),
            timeout: Duration::from_secs(60),
        })
    }
}

fn failed(what: String) -> AppError {
    AppError::internal(format!("scanner: {what}"))
}

#[async_trait]
impl Scanner for CommandScanner {
    async fn scan(&self, _name: &str, bytes: &[u8]) -> AppResult<ScanVerdict> {
        let mut child = tokio::process::Command::new(&self.program)
            .args(&self.args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| failed(format!("cannot start {}: {e}", self.program)))?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| failed("no stdin".into()))?;
        let data = bytes.to_vec();
        // Feed stdin while the output is read, so a scanner that answers early cannot block.
        let feeder = tokio::spawn(async move {
            let _ = stdin.write_all(&data).await;
            let _ = stdin.shutdown().await;
        });
        let out = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| failed("timed out".into()))?
            .map_err(|e| failed(e.to_string()))?;
        let _ = feeder.await;
        match out.status.code() {
            Some(0) => Ok(ScanVerdict::Clean),
            Some(1) => {
                let found = String::from_utf8_lossy(&out.stdout).trim().to_string();
                Ok(ScanVerdict::Infected(if found.is_empty() {
                    "infected".into()
                } else {
                    found.chars().take(200).collect()
                }))
            }
            other => Err(failed(format!(
                "exit {other:?}: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// A stand-in scanner with ClamAV's contract that flags the EICAR test string.
    fn eicar_scanner() -> CommandScanner {
        CommandScanner::new(&[
            "sh".into(),
            "-c".into(),
            "if grep -q 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE'; then echo 'stdin: Eicar-Signature FOUND'; exit 1; else exit 0; fi".into(),
        ])
        .unwrap()
    }

    #[tokio::test]
    async fn clean_infected_and_failing() {
        let s = eicar_scanner();
        assert_eq!(
            s.scan("a.pdf", b"%PDF-1.7 hello").await.unwrap(),
            ScanVerdict::Clean
        );
        let eicar = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
        match s.scan("a.pdf", eicar).await.unwrap() {
            ScanVerdict::Infected(what) => assert!(what.contains("Eicar"), "{what}"),
            v => panic!("{v:?}"),
        }
        let broken = CommandScanner::new(&["sh".into(), "-c".into(), "exit 2".into()]).unwrap();
        assert!(broken.scan("a.pdf", b"x").await.is_err());
        let missing = CommandScanner::new(&["/nonexistent/scanner".into()]).unwrap();
        assert!(missing.scan("a.pdf", b"x").await.is_err());
        // A big file through the pipe does not deadlock.
        let big = vec![b'a'; 5 << 20];
        assert_eq!(s.scan("big.pdf", &big).await.unwrap(), ScanVerdict::Clean);
    }
}
