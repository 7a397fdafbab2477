//! `flightdeck status <backend>/<execution>`.

use super::json::DetailJson;
use super::{Failure, Global, target};
use std::borrow::Cow;

use crate::domain::ExecutionDetail;

pub async fn run(global: &Global, text: &str) -> Result<(), Failure> {
    let loaded = global.load()?;
    let t = target::Target::parse(text, "execution")?;
    let p = target::find(&loaded.backends, &t.backend)?;
    let exec = target::execution(&p.backend, &t).await?;
    let mut detail = p
        .backend
        .execution(&exec)
        .await
        .map_err(|e| Failure::backend(&t.backend, &e))?;
    crate::domain::order::approvals(&mut detail.approvals);
    global.print(&DetailJson::from(&detail), || render(&detail));
    Ok(())
}

pub fn render(d: &ExecutionDetail) -> String {
    use crate::sanitize::clean;
    let e = &d.execution;
    let now = jiff::Timestamp::now();
    let mut out = format!(
        "{}{}  {}\nstatus   {}\nproject  {}  on {}\nstarted  {} by {}\n",
        clean(&e.pipeline_name),
        // Argo and Infraxys executions have no run number; their id names them.
        e.run_number.map(|n| format!(" #{n}")).unwrap_or_default(),
        clean(&e.id),
        e.status.said(),
        clean(&e.project),
        e.backend,
        crate::format::ago(now, e.started),
        clean(&e.triggered_by),
    );
    if let Some(m) = e.message.as_deref().filter(|m| !m.is_empty()) {
        out.push_str(&format!("message  {}\n", clean(m)));
    }
    // Checked to be a plain web URL of printable characters (`backend::links::safe`).
    if let Some(url) = e.url.as_deref().and_then(crate::backend::links::safe) {
        out.push_str(&format!("web      {url}\n"));
    }
    if let Some(r) = &d.rejection {
        out.push_str(&format!(
            "rejected gate {}  {} / {} by {}\n",
            clean(&r.gate),
            clean(&r.stage),
            clean(&r.step),
            r.by.as_deref().map_or(Cow::Borrowed("unknown"), clean),
        ));
    }
    for stage in &d.stages {
        out.push_str(&format!(
            "  {} {:<28} {}\n",
            stage.status.status.glyph(),
            clean(&stage.name),
            clean(&stage.status.raw)
        ));
        for step in &stage.steps {
            out.push_str(&format!(
                "      {} {:<24} {}\n",
                step.status.status.glyph(),
                clean(&step.name),
                clean(&step.status.raw)
            ));
        }
    }
    for gate in &d.approvals {
        out.push_str(&format!(
            "gate {}  {} / {}: {}\n",
            clean(&gate.id),
            clean(&gate.stage),
            clean(&gate.step),
            clean(&gate.message)
        ));
    }
    out
}
