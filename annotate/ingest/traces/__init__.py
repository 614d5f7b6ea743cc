"""Trace exports into records: one record per model call, its conversation rebuilt in order.

Tracing tools record an agent run as spans (OpenTelemetry, OpenInference), observations
(Langfuse) or runs (LangSmith). A reader turns one export file into Flywheel records: each
model-call span becomes a record whose `messages` are the conversation up to that call (system
and user turns, earlier assistant turns with their `tool_calls`, tool turns with `tool_call_id`,
`name` and the result) and whose response is the call's output; `trace` holds the trace and span
ids and `id` is "<trace_id>:<span_id>", so ingesting a file again adds nothing. Everything a span
holds that no record field takes goes to `metadata` (unmapped attributes, token usage, parent span,
latency, resource), so nothing is silently lost.

Modules: `sniff` (which format a file's first object is in), `reader` (a file into rows),
`assemble` (a trace's spans into per-call conversations, shared by every format), `messages`
(the message shapes traces carry onto OpenAI's), `otlp` (OTLP JSON export requests), and one module
per format: `otel`, `openinference`, `langfuse`, `langsmith`. `data/sample/formats/README.md`
documents each format with an example file.
"""

TRACE_FORMATS = ("otel", "openinference", "langfuse", "langsmith")
