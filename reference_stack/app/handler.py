"""Payment transaction intake: validate, store once in DynamoDB, answer with an HTTP-shaped result."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import boto3
from botocore.exceptions import ClientError

SERVICE_NAME = os.environ.get("POWERTOOLS_SERVICE_NAME", "transaction-processor")
SAFE_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
AMOUNT_TEXT = re.compile(r"^[0-9]{1,12}(\.[0-9]{1,2})?$")
MAX_AMOUNT = Decimal("999999999999.99")
CENT = Decimal("0.01")
CURRENCIES = frozenset({"AUD", "CAD", "CHF", "DKK", "EUR", "GBP", "HKD", "NOK", "NZD", "SEK", "SGD", "USD"})
JSON_HEADERS = {"Content-Type": "application/json"}

_client: Any = None


def get_client() -> Any:
    """The DynamoDB client, created on first use so that tests can install their own first."""
    global _client
    if _client is None:
        _client = boto3.client("dynamodb")
    return _client


def set_client(client: Any) -> None:
    global _client
    _client = client


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": status, "headers": dict(JSON_HEADERS), "body": json.dumps(body)}


def _mask(account_id: Any) -> str | None:
    if not isinstance(account_id, str) or not account_id:
        return None
    return "****" + account_id[-4:] if len(account_id) > 4 else "****"


def _log(entry: dict[str, Any]) -> None:
    record = {
        "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "ERROR" if entry.get("statusCode", 0) >= 500 else "INFO",
        "service": SERVICE_NAME,
        **entry,
    }
    sys.stdout.write(json.dumps(record, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def _payload(event: Any) -> tuple[Any, bool]:
    """The transaction document and whether the event came from API Gateway."""
    if isinstance(event, dict) and "body" in event:
        body = event.get("body")
        if body is None:
            return None, True
        if isinstance(body, dict):
            return body, True
        if not isinstance(body, str):
            raise ValueError("body must be a JSON object")
        if event.get("isBase64Encoded"):
            try:
                body = base64.b64decode(body, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError) as exc:
                raise ValueError("body is not valid base64-encoded UTF-8") from exc
        try:
            return json.loads(body), True
        except json.JSONDecodeError as exc:
            raise ValueError("body is not valid JSON") from exc
    return event, False


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        text = repr(value)
    elif isinstance(value, str):
        text = value
    else:
        return None
    if not AMOUNT_TEXT.fullmatch(text):
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount if CENT <= amount <= MAX_AMOUNT else None


def validate(document: Any) -> tuple[dict[str, str], list[str]]:
    """Normalised transaction fields and the list of validation errors (empty when valid)."""
    if not isinstance(document, dict):
        return {}, ["the transaction must be a JSON object"]
    errors: list[str] = []
    clean: dict[str, str] = {}

    transaction_id = document.get("transactionId")
    if isinstance(transaction_id, str) and SAFE_ID.fullmatch(transaction_id):
        clean["transactionId"] = transaction_id
    else:
        errors.append("transactionId must be 1-64 characters of letters, digits, '-' or '_'")

    amount = _amount(document.get("amount"))
    if amount is None:
        errors.append(
            "amount must be a positive decimal (string or number) with at most 2 decimal places "
            f"and at most {MAX_AMOUNT}"
        )
    else:
        clean["amount"] = str(amount.quantize(CENT))

    currency = document.get("currency")
    if isinstance(currency, str) and currency in CURRENCIES:
        clean["currency"] = currency
    else:
        errors.append(f"currency must be one of {', '.join(sorted(CURRENCIES))}")

    for field in ("sourceAccountId", "destinationAccountId"):
        value = document.get(field)
        if isinstance(value, str) and SAFE_ID.fullmatch(value):
            clean[field] = value
        else:
            errors.append(f"{field} must be 1-64 characters of letters, digits, '-' or '_'")
    source, destination = clean.get("sourceAccountId"), clean.get("destinationAccountId")
    if source is not None and source == destination:
        errors.append("sourceAccountId and destinationAccountId must differ")
    return clean, errors


def _store(table: str, transaction: dict[str, str], request_id: str) -> bool:
    """Write the transaction once; False when the id was already stored."""
    try:
        get_client().put_item(
            TableName=table,
            Item={
                "transactionId": {"S": transaction["transactionId"]},
                "amount": {"N": transaction["amount"]},
                "currency": {"S": transaction["currency"]},
                "sourceAccountId": {"S": transaction["sourceAccountId"]},
                "destinationAccountId": {"S": transaction["destinationAccountId"]},
                "status": {"S": "RECEIVED"},
                "receivedAt": {"S": datetime.now(UTC).isoformat()},
                "requestId": {"S": request_id},
            },
            ConditionExpression="attribute_not_exists(transactionId)",
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def handler(event: Any, context: Any) -> dict[str, Any]:
    started = time.monotonic()
    request_id = str(getattr(context, "aws_request_id", "") or "local")
    entry: dict[str, Any] = {"requestId": request_id}

    def finish(status: int, outcome: str, body: dict[str, Any]) -> dict[str, Any]:
        entry.update(
            outcome=outcome,
            statusCode=status,
            durationMs=round((time.monotonic() - started) * 1000, 1),
        )
        _log(entry)
        return _response(status, {**body, "requestId": request_id})

    try:
        document, from_api = _payload(event)
    except ValueError as exc:
        entry["source"] = "apigateway"
        return finish(400, "invalid", {"message": "invalid request", "errors": [str(exc)]})
    entry["source"] = "apigateway" if from_api else "direct"

    transaction, errors = validate(document)
    if "transactionId" in transaction:
        entry["transactionId"] = transaction["transactionId"]
    if errors:
        entry["errorCount"] = len(errors)
        return finish(400, "invalid", {"message": "invalid transaction", "errors": errors})
    entry.update(
        currency=transaction["currency"],
        sourceAccount=_mask(transaction["sourceAccountId"]),
        destinationAccount=_mask(transaction["destinationAccountId"]),
    )

    table = os.environ.get("TABLE_NAME", "")
    try:
        if not table:
            raise RuntimeError("TABLE_NAME is not set")
        created = _store(table, transaction, request_id)
    except Exception as exc:  # noqa: BLE001 - any failure answers 500 and leaks nothing
        entry["errorType"] = type(exc).__name__
        if isinstance(exc, ClientError):
            entry["errorCode"] = exc.response.get("Error", {}).get("Code", "Unknown")
        return finish(500, "error", {"message": "internal error"})

    result = {"transactionId": transaction["transactionId"]}
    if created:
        return finish(201, "created", {**result, "status": "created"})
    return finish(200, "duplicate", {**result, "status": "duplicate"})
