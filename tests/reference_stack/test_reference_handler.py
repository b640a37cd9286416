"""The transaction handler against a stubbed DynamoDB client: no network, no real credentials."""

from __future__ import annotations

import base64
import json
from types import ModuleType, SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

TABLE = "transactions-test"
VALID = {
    "transactionId": "txn-0001",
    "amount": "125.50",
    "currency": "USD",
    "sourceAccountId": "acct-source-123456",
    "destinationAccountId": "acct-dest-987654",
}


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch, reference_handler: ModuleType) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("TABLE_NAME", TABLE)
    dynamodb = boto3.client("dynamodb", region_name="us-east-1")
    reference_handler.set_client(dynamodb)
    yield dynamodb
    reference_handler.set_client(None)


@pytest.fixture
def stubber(client: Any) -> Any:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


def invoke(handler: ModuleType, event: Any, request_id: str = "req-1") -> tuple[int, dict[str, Any]]:
    response = handler.handler(event, SimpleNamespace(aws_request_id=request_id))
    assert response["headers"] == {"Content-Type": "application/json"}
    return response["statusCode"], json.loads(response["body"])


def log_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    out = capsys.readouterr().out
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def expect_put(stubber: Any, transaction_id: str = "txn-0001", amount: str = "125.50") -> None:
    stubber.add_response(
        "put_item",
        {},
        expected_params={
            "TableName": TABLE,
            "Item": {
                "transactionId": {"S": transaction_id},
                "amount": {"N": amount},
                "currency": {"S": "USD"},
                "sourceAccountId": {"S": "acct-source-123456"},
                "destinationAccountId": {"S": "acct-dest-987654"},
                "status": {"S": "RECEIVED"},
                "receivedAt": ANY,
                "requestId": {"S": "req-1"},
            },
            "ConditionExpression": "attribute_not_exists(transactionId)",
        },
    )


def test_valid_transaction_is_stored_once_and_answers_201(
    reference_handler: ModuleType, stubber: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_put(stubber)
    status, body = invoke(reference_handler, dict(VALID))
    assert status == 201
    assert body == {"transactionId": "txn-0001", "status": "created", "requestId": "req-1"}
    [line] = log_lines(capsys)
    assert line["requestId"] == "req-1"
    assert line["transactionId"] == "txn-0001"
    assert line["outcome"] == "created"
    assert line["statusCode"] == 201
    assert line["level"] == "INFO"
    assert line["service"] == "transaction-processor"
    assert line["sourceAccount"] == "****3456"
    serialized = json.dumps(line)
    assert "acct-source-123456" not in serialized
    assert "acct-dest-987654" not in serialized


@pytest.mark.parametrize(
    ("amount", "stored"),
    [(125.5, "125.50"), (7, "7.00"), ("0.01", "0.01"), ("1000000", "1000000.00")],
)
def test_amount_is_stored_as_an_exact_decimal_string(
    reference_handler: ModuleType, stubber: Any, amount: Any, stored: str
) -> None:
    expect_put(stubber, amount=stored)
    status, _ = invoke(reference_handler, {**VALID, "amount": amount})
    assert status == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"transactionId": ""}, "transactionId"),
        ({"transactionId": "x" * 65}, "transactionId"),
        ({"transactionId": "txn 1; drop"}, "transactionId"),
        ({"transactionId": 42}, "transactionId"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5.00"}, "amount"),
        ({"amount": "1.234"}, "amount"),
        ({"amount": 0.001}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": None}, "amount"),
        ({"currency": "usd"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"sourceAccountId": ""}, "sourceAccountId"),
        ({"destinationAccountId": None}, "destinationAccountId"),
        ({"destinationAccountId": "acct-source-123456"}, "must differ"),
    ],
)
def test_invalid_transaction_answers_400_with_errors_and_never_writes(
    reference_handler: ModuleType,
    stubber: Any,
    capsys: pytest.CaptureFixture[str],
    change: dict[str, Any],
    field: str,
) -> None:
    status, body = invoke(reference_handler, {**VALID, **change})
    assert status == 400
    assert body["message"] == "invalid transaction"
    assert len(body["errors"]) == 1
    assert field in body["errors"][0]
    [line] = log_lines(capsys)
    assert line["outcome"] == "invalid"
    assert line["statusCode"] == 400


def test_every_problem_is_reported_at_once(reference_handler: ModuleType, stubber: Any) -> None:
    status, body = invoke(reference_handler, {"amount": "abc", "currency": "???"})
    assert status == 400
    assert len(body["errors"]) == 5


@pytest.mark.parametrize("event", [[], "txn", None, 12])
def test_non_object_event_answers_400(reference_handler: ModuleType, stubber: Any, event: Any) -> None:
    status, body = invoke(reference_handler, event)
    assert status == 400
    assert body["errors"] == ["the transaction must be a JSON object"]


def test_repeated_transaction_id_answers_200_without_a_second_write(
    reference_handler: ModuleType, stubber: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    stubber.add_client_error(
        "put_item",
        service_error_code="ConditionalCheckFailedException",
        service_message="The conditional request failed",
        http_status_code=400,
    )
    status, body = invoke(reference_handler, dict(VALID))
    assert status == 200
    assert body == {"transactionId": "txn-0001", "status": "duplicate", "requestId": "req-1"}
    [line] = log_lines(capsys)
    assert line["outcome"] == "duplicate"
    assert line["statusCode"] == 200


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "AccessDeniedException", "ResourceNotFoundException"],
)
def test_other_dynamodb_failure_answers_500_and_leaks_nothing(
    reference_handler: ModuleType, stubber: Any, capsys: pytest.CaptureFixture[str], code: str
) -> None:
    secret_detail = f"User arn:aws:iam::123456789012:role/x is not authorized on table/{TABLE}"
    stubber.add_client_error("put_item", service_error_code=code, service_message=secret_detail)
    response = reference_handler.handler(dict(VALID), SimpleNamespace(aws_request_id="req-1"))
    assert response["statusCode"] == 500
    assert json.loads(response["body"]) == {"message": "internal error", "requestId": "req-1"}
    for leaked in (code, TABLE, "123456789012", "not authorized"):
        assert leaked not in response["body"]
    [line] = log_lines(capsys)
    assert line["outcome"] == "error"
    assert line["level"] == "ERROR"
    assert line["errorCode"] == code
    assert "not authorized" not in json.dumps(line)


def test_missing_table_name_answers_500(
    reference_handler: ModuleType, stubber: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TABLE_NAME")
    status, body = invoke(reference_handler, dict(VALID))
    assert status == 500
    assert body["message"] == "internal error"


def test_api_gateway_proxy_event(reference_handler: ModuleType, stubber: Any) -> None:
    expect_put(stubber)
    event = {
        "httpMethod": "POST",
        "path": "/transactions",
        "requestContext": {"requestId": "api-req"},
        "body": json.dumps(VALID),
        "isBase64Encoded": False,
    }
    status, body = invoke(reference_handler, event)
    assert status == 201
    assert body["transactionId"] == "txn-0001"


def test_api_gateway_base64_body(reference_handler: ModuleType, stubber: Any) -> None:
    expect_put(stubber)
    event = {"body": base64.b64encode(json.dumps(VALID).encode()).decode(), "isBase64Encoded": True}
    status, _ = invoke(reference_handler, event)
    assert status == 201


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", None, ""])
def test_api_gateway_bad_body_answers_400(
    reference_handler: ModuleType, stubber: Any, capsys: pytest.CaptureFixture[str], body: Any
) -> None:
    status, answer = invoke(reference_handler, {"httpMethod": "POST", "body": body})
    assert status == 400
    assert answer["errors"]
    [line] = log_lines(capsys)
    assert line["source"] == "apigateway"


def test_one_log_line_per_request(
    reference_handler: ModuleType, stubber: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    expect_put(stubber)
    invoke(reference_handler, dict(VALID))
    invoke(reference_handler, {**VALID, "amount": "-1"})
    lines = log_lines(capsys)
    assert [line["statusCode"] for line in lines] == [201, 400]


def test_client_is_created_lazily(reference_handler: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    reference_handler.set_client(None)
    try:
        created = reference_handler.get_client()
        assert created.meta.service_model.service_name == "dynamodb"
        assert reference_handler.get_client() is created
    finally:
        reference_handler.set_client(None)
