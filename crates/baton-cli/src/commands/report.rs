//! `baton report`: a session's report as Markdown or one self-contained HTML page, printed or
//! written to a file.

use std::path::PathBuf;

use baton_core::api::ReportQuery;
use baton_core::report::{ReportFormat, report_write};
use baton_core::{ApiError, BatonHome};
use baton_daemon::DaemonError;
use clap::{Args, ValueEnum};

#[derive(Args)]
pub struct ReportArgs {
    /// The session (id or name)
    #[arg(long)]
    session: String,
    /// md or html [default: from the output file's extension, else md]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Write the report to this file (replaced when it exists) instead of printing it
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Md,
    Html,
}

pub fn run(home: &BatonHome, args: ReportArgs) -> Result<(), DaemonError> {
    let format = match (args.format, &args.output) {
        (Some(Format::Md), _) => ReportFormat::Md,
        (Some(Format::Html), _) => ReportFormat::Html,
        (None, Some(path)) => {
            path.extension().and_then(|e| ReportFormat::parse(&e.to_string_lossy())).unwrap_or(ReportFormat::Md)
        }
        (None, None) => ReportFormat::Md,
    };
    let report = super::client(home)?.session_report(&args.session, &ReportQuery { format: Some(format) })?;
    let Some(path) = args.output else {
        print!("{}", report.text);
        return Ok(());
    };
    let path = std::path::absolute(&path).unwrap_or(path);
    report_write(&path, &report.text).map_err(|e| DaemonError::Api(ApiError::new(e.code(), e.to_string())))?;
    println!("wrote {} ({} report, {} bytes)", path.display(), format.as_str(), report.text.len());
    Ok(())
}
