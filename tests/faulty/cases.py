"""The faulty implementations the suite must catch, and the check that must name each fault.

Each case: the upstream (the toy app, or a bundled API's mock), one fault from
`tests.faulty.faults`, the check expected to catch it, and the narrowest run that exercises it
(phases and operations), so the whole table stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FaultCase:
    upstream: str
    fault: str
    check: str
    phases: tuple[str, ...]
    include: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.upstream}-{self.fault}"

    @property
    def transport(self) -> str:
        if self.phases == ("websocket",):
            return "websocket"
        if self.phases == ("graphql",):
            return "graphql"
        return "http"


TOY_CASES = [
    FaultCase("toy", "server_error_on_edge", "not_a_server_error", ("coverage",), ("listNotes",)),
    FaultCase("toy", "wrong_status_code", "status_code_conformance", ("examples",), ("createNote",)),
    FaultCase("toy", "forbidden_instead_of_unauthorized", "auth_required", ("fuzzing",), ("listNotes",)),
    FaultCase("toy", "wrong_error_envelope", "error_envelope", ("fuzzing",), ("getNote",)),
    FaultCase("toy", "delete_does_not_delete", "use_after_free", ("stateful",), ("createNote", "getNote", "deleteNote")),
    FaultCase("toy", "missing_rate_limit_header", "rate_limit_headers", ("examples",), ("createNote",)),
    FaultCase("toy", "pagination_header_mismatch", "pagination_headers", ("fuzzing",), ("listNotes",)),
    FaultCase("toy", "undocumented_method_accepted", "unsupported_method", ("coverage",), ("getHealth",)),
    FaultCase("toy", "accepts_invalid_input", "negative_data_rejection", ("fuzzing",), ("createNote",)),
    FaultCase("toy", "wrong_content_type", "content_type_conformance", ("fuzzing",), ("getHealth",)),
    FaultCase("toy", "graphql_server_error", "graphql_not_a_server_error", ("graphql",)),
    FaultCase("toy", "graphql_wrong_shape", "graphql_response_format", ("graphql",)),
    FaultCase("toy", "ws_wrong_frame", "ws_frame_schema", ("websocket",)),
    FaultCase("toy", "ws_missing_pong", "ws_reply", ("websocket",)),
    FaultCase("toy", "ws_no_fanout", "ws_fanout", ("websocket",)),
    FaultCase("toy", "ws_no_error_frame", "ws_invalid_message", ("websocket",)),
    FaultCase("toy", "ws_missing_rest_event", "ws_rest_events", ("websocket",)),
    FaultCase("toy", "ws_no_welcome", "ws_welcome", ("websocket",)),
]

#: mistakes in the five bundled APIs, whose correct implementation is the mock (faults the
#: toy cases above leave out are proven here)
BUNDLED_CASES = [
    FaultCase("accounts", "wrong_error_envelope", "error_envelope", ("fuzzing",), ("getUser",)),
    FaultCase("accounts", "ws_missing_reply", "ws_reply", ("websocket",)),
    FaultCase("accounts", "ws_echo_altered", "ws_reply", ("websocket",)),
    FaultCase("directory", "off_by_one_page", "pagination_consistency", ("fuzzing",), ("listUsers",)),
    FaultCase("directory", "graphql_wrong_shape", "graphql_response_format", ("graphql",)),
    FaultCase("directory", "ws_missing_pong", "ws_reply", ("websocket",)),
    FaultCase("enterprise", "ignored_token", "auth_required", ("fuzzing",), ("listRecords",)),
    FaultCase("enterprise", "missing_required_field", "response_schema_conformance", ("examples",), ("createRecord",)),
    FaultCase("messaging", "missing_pagination_headers", "pagination_headers", ("fuzzing",), ("listMessages",)),
    FaultCase("messaging", "off_by_one_page", "pagination_consistency", ("fuzzing",), ("listMessages",)),
    FaultCase("messaging", "ws_missing_rest_event", "ws_rest_events", ("websocket",)),
    FaultCase("realtime", "ws_no_fanout", "ws_fanout", ("websocket",)),
    FaultCase("realtime", "ws_accepts_bad_token", "ws_handshake_auth", ("websocket",)),
    FaultCase("realtime", "wrong_type", "response_schema_conformance", ("fuzzing",), ("getHealth",)),
]

#: behaviour a response's shape never shows (conformance.behaviour), one check each
RECORD = ("createRecord", "getRecord", "listRecords")
BEHAVIOUR_CASES = [
    FaultCase("directory", "sort_ignored", "list_sort", ("behaviour",), ("listUsers",)),
    FaultCase("directory", "fields_ignored", "list_fields", ("behaviour",), ("listUsers",)),
    FaultCase("enterprise", "filter_ignored", "list_filter", ("behaviour",), RECORD),
    FaultCase("enterprise", "create_drops_field", "write_read_back", ("behaviour",), RECORD),
    FaultCase("enterprise", "update_not_persisted", "write_update_seen", ("behaviour",), (*RECORD, "updateRecord")),
    FaultCase("enterprise", "patch_replaces", "write_update_mode", ("behaviour",), (*RECORD, "updateRecord")),
    FaultCase("enterprise", "delete_does_not_delete", "write_delete_gone", ("behaviour",), (*RECORD, "deleteRecord")),
    FaultCase("enterprise", "logout_keeps_token", "auth_logout_revokes", ("behaviour",), ("logout",)),
    FaultCase("realtime", "logout_keeps_token", "auth_logout_revokes", ("behaviour",), ("deleteSession",)),
    FaultCase("messaging", "refresh_token_reusable", "auth_refresh_rotation", ("behaviour",), ("refreshToken",)),
    FaultCase("realtime", "wrong_password_accepted", "auth_wrong_password", ("behaviour",), ("createSession",)),
    FaultCase("lockout", "no_lockout", "auth_lockout", ("behaviour",), ("register", "login")),
    FaultCase("accounts+limits", "rate_limit_not_enforced", "rate_limit_enforced", ("behaviour",), ("listUsers",)),
    FaultCase("realtime", "ws_unsubscribe_ignored", "ws_unsubscribe", ("websocket",)),
    FaultCase("realtime", "ws_broadcast_one_subscriber", "ws_broadcast_all", ("websocket",)),
    FaultCase("realtime", "ws_direct_leaks", "ws_direct_only", ("websocket",)),
    FaultCase("messaging", "ws_event_stale", "ws_event_record", ("websocket",)),
]
