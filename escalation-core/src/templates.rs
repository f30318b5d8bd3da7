//! Notification content, rendered from the policy's templates with minijinja.
//!
//! Customer-supplied text (subject, body, names) only ever enters a template as a *value*,
//! never as template source, so it is never interpreted. Bodies are HTML and auto-escaped;
//! subjects and page summaries are single lines: CR and LF are replaced by spaces in the values
//! and removed from the rendered result, so no header can be injected.

use std::sync::Arc;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};

use crate::error::{Error, PolicyProblem, Result};
use crate::ports::NotificationKind;

/// A subject and an HTML body.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageTemplate {
    /// The subject line (plain text, one line).
    pub subject: String,
    /// The body (HTML; values are escaped).
    pub body: String,
}

/// The `[templates]` section: one template per notification kind, and the page summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TemplatePolicy {
    /// Breach alert to the support manager.
    pub manager_alert: MessageTemplate,
    /// Escalation notice to the customer.
    pub customer_notice: MessageTemplate,
    /// Warning to the assignee.
    pub agent_warning: MessageTemplate,
    /// One-line summary of an on-call page.
    pub page_summary: String,
}

impl Default for TemplatePolicy {
    fn default() -> Self {
        TemplatePolicy {
            manager_alert: MessageTemplate {
                subject: "[{{ ticket.priority|upper }}] Ticket #{{ ticket.id }} {{ event }}: {{ ticket.subject }}".to_owned(),
                body: "<p>Ticket #{{ ticket.id }} ({{ ticket.category }}, {{ ticket.priority }}) {{ event }}{% if target %} on its {{ target }} target{% endif %}{% if deadline %}, deadline {{ deadline }}{% endif %}.</p>\n<p>Customer: {{ ticket.customer }}. Assignee: {{ ticket.assignee or \"nobody\" }}. Ladder level: {{ level }}.</p>\n<p>Subject: {{ ticket.subject }}</p>".to_owned(),
            },
            customer_notice: MessageTemplate {
                subject: "Your request #{{ ticket.id }} has been escalated".to_owned(),
                body: "<p>Dear {{ customer_name }},</p>\n<p>Your request \u{201c}{{ ticket.subject }}\u{201d} is taking longer than we promised. We have escalated it to a senior team, who will be in touch shortly.</p>".to_owned(),
            },
            agent_warning: MessageTemplate {
                subject: "Ticket #{{ ticket.id }}: {{ target }} due {{ deadline }}".to_owned(),
                body: "<p>Ticket #{{ ticket.id }} ({{ ticket.priority }}) reaches its {{ target }} deadline at {{ deadline }} ({{ event }}).</p>\n<p>Subject: {{ ticket.subject }}</p>".to_owned(),
            },
            page_summary: "[{{ ticket.priority|upper }}] #{{ ticket.id }} {{ event }}{% if target %} ({{ target }}){% endif %}: {{ ticket.subject }}".to_owned(),
        }
    }
}

/// What a template can refer to.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeContext {
    /// The ticket's fields.
    pub ticket: TicketFields,
    /// The customer's name (or id when unknown).
    pub customer_name: String,
    /// What happened: `"breached"`, `"reached the 75% warning"`, ...
    pub event: String,
    /// The SLA target, if the trigger concerns one.
    pub target: Option<String>,
    /// Its deadline, RFC 3339, if any.
    pub deadline: Option<String>,
    /// The ladder level.
    pub level: String,
}

/// A ticket's fields, as templates see them.
#[derive(Debug, Clone, Serialize)]
pub struct TicketFields {
    /// Id.
    pub id: u64,
    /// Tenant.
    pub tenant: String,
    /// Subject.
    pub subject: String,
    /// Category.
    pub category: String,
    /// Priority.
    pub priority: String,
    /// Status.
    pub status: String,
    /// Customer id.
    pub customer: String,
    /// Assignee id, if any.
    pub assignee: Option<String>,
    /// Channel.
    pub channel: String,
    /// Impact.
    pub impact: String,
}

/// The compiled templates.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
}

fn name_of(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::ManagerAlert => "manager_alert",
        NotificationKind::CustomerNotice => "customer_notice",
        NotificationKind::AgentWarning => "agent_warning",
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

impl Templates {
    /// Compiles and test-renders every template; problems carry their path under
    /// `templates.`.
    ///
    /// # Errors
    /// Every template that does not compile or refers to an unknown value.
    pub fn compile(policy: &TemplatePolicy) -> std::result::Result<Templates, Vec<PolicyProblem>> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        let mut problems = Vec::new();
        let sources = [
            ("manager_alert.subject", &policy.manager_alert.subject),
            ("manager_alert.body", &policy.manager_alert.body),
            ("customer_notice.subject", &policy.customer_notice.subject),
            ("customer_notice.body", &policy.customer_notice.body),
            ("agent_warning.subject", &policy.agent_warning.subject),
            ("agent_warning.body", &policy.agent_warning.body),
            ("page_summary", &policy.page_summary),
        ];
        for (path, source) in sources {
            let name = if path.ends_with(".body") {
                format!("{path}.html")
            } else {
                format!("{path}.txt")
            };
            if let Err(e) = env.add_template_owned(name, source.clone()) {
                problems.push(PolicyProblem {
                    path: format!("templates.{path}"),
                    message: format!("does not compile: {e}"),
                });
            }
        }
        let templates = Templates { env };
        if problems.is_empty() {
            // Render once with a sample, so a misspelt value is caught at load time.
            let sample = NoticeContext::sample();
            for (path, _) in sources {
                if let Err(e) = templates.render_named(path, &sample) {
                    problems.push(PolicyProblem {
                        path: format!("templates.{path}"),
                        message: format!("does not render: {e}"),
                    });
                }
            }
        }
        if problems.is_empty() {
            Ok(templates)
        } else {
            Err(problems)
        }
    }

    fn render_named(&self, path: &str, ctx: &NoticeContext) -> Result<String> {
        let name = if path.ends_with(".body") {
            format!("{path}.html")
        } else {
            format!("{path}.txt")
        };
        let template = self
            .env
            .get_template(&name)
            .map_err(|e| Error::Internal(format!("template {name}: {e}")))?;
        let out = template
            .render(ctx)
            .map_err(|e| Error::Internal(format!("template {name}: {e}")))?;
        Ok(if path.ends_with(".body") {
            out
        } else {
            one_line(&out).trim().to_owned()
        })
    }

    /// Renders the subject and body of a notification of `kind`.
    ///
    /// # Errors
    /// [`Error::Internal`] if rendering fails (templates are test-rendered at load time).
    pub fn render(
        &self,
        kind: NotificationKind,
        ctx: &NoticeContext,
    ) -> Result<(Arc<str>, Arc<str>)> {
        let name = name_of(kind);
        let subject = self.render_named(&format!("{name}.subject"), ctx)?;
        let body = self.render_named(&format!("{name}.body"), ctx)?;
        Ok((Arc::from(subject), Arc::from(body)))
    }

    /// Renders a page's one-line summary.
    ///
    /// # Errors
    /// [`Error::Internal`] if rendering fails.
    pub fn page_summary(&self, ctx: &NoticeContext) -> Result<Arc<str>> {
        Ok(Arc::from(self.render_named("page_summary", ctx)?))
    }
}

impl NoticeContext {
    /// Builds the context, making every customer-supplied line value single-line.
    pub fn new(
        ticket: TicketFields,
        customer_name: &str,
        event: String,
        target: Option<String>,
        deadline: Option<String>,
        level: &str,
    ) -> NoticeContext {
        let ticket = TicketFields {
            subject: one_line(&ticket.subject),
            ..ticket
        };
        NoticeContext {
            ticket,
            customer_name: one_line(customer_name),
            event,
            target,
            deadline,
            level: level.to_owned(),
        }
    }

    fn sample() -> NoticeContext {
        NoticeContext::new(
            TicketFields {
                id: 1,
                tenant: "default".to_owned(),
                subject: "Sample".to_owned(),
                category: "billing".to_owned(),
                priority: "high".to_owned(),
                status: "in_progress".to_owned(),
                customer: "c-1".to_owned(),
                assignee: Some("a-1".to_owned()),
                channel: "email".to_owned(),
                impact: "bug".to_owned(),
            },
            "Customer",
            "breached".to_owned(),
            Some("resolution".to_owned()),
            Some("2026-01-01T00:00:00Z".to_owned()),
            "breach",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(subject: &str) -> NoticeContext {
        let mut c = NoticeContext::sample();
        c = NoticeContext::new(
            TicketFields {
                subject: subject.to_owned(),
                ..c.ticket.clone()
            },
            "Eve <script>",
            std::mem::take(&mut c.event),
            c.target.take(),
            c.deadline.take(),
            "breach",
        );
        c
    }

    #[test]
    fn customer_text_is_escaped_and_never_interpreted() {
        let t = Templates::compile(&TemplatePolicy::default()).unwrap();
        let evil = "{{ 7*7 }} <img src=x onerror=alert(1)>\r\nBcc: victim@example.com";
        let (subject, body) = t
            .render(NotificationKind::ManagerAlert, &ctx(evil))
            .unwrap();
        assert!(
            !subject.contains('\n') && !subject.contains('\r'),
            "{subject}"
        );
        assert!(
            subject.contains("{{ 7*7 }}"),
            "template syntax in values is not run: {subject}"
        );
        assert!(!subject.contains("49"));
        assert!(
            body.contains("&lt;img src=x onerror=alert(1)&gt;"),
            "{body}"
        );
        assert!(!body.contains("<img"), "{body}");
        let (_, notice) = t
            .render(NotificationKind::CustomerNotice, &ctx("x"))
            .unwrap();
        assert!(notice.contains("Dear Eve &lt;script&gt;"), "{notice}");
    }

    #[test]
    fn bad_templates_are_policy_problems_with_their_path() {
        let mut p = TemplatePolicy::default();
        p.manager_alert.subject = "{{ ticket.id ".to_owned();
        p.agent_warning.body = "{{ ticket.nonexistent.field }}".to_owned();
        let problems = Templates::compile(&p).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["templates.manager_alert.subject"]);
        p.manager_alert = TemplatePolicy::default().manager_alert;
        let problems = Templates::compile(&p).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, ["templates.agent_warning.body"]);
    }
}
