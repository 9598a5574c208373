"""The one place that builds AWS sessions and clients, and turns AWS errors into ours.

Settings come from the standard chain: profile (``--profile`` or ``AWS_PROFILE``), region
(``--region``, ``AWS_REGION``/``AWS_DEFAULT_REGION`` or the profile), credentials (environment, shared
files, SSO, instance roles) and endpoints (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_S3``,
``AWS_ENDPOINT_URL_BEDROCK``, ``AWS_ENDPOINT_URL_BEDROCK_RUNTIME``, read by botocore itself). Clients
use botocore's ``standard`` retry mode. Nothing here prints or stores credentials.

:func:`call` wraps one API call: a failure becomes an :class:`AwsError` naming the operation, the
resource and a fix (missing credentials, AccessDenied with the IAM action, throttling, validation).
"""

from __future__ import annotations

import os
import re
from typing import Any

from advisor.errors import EXIT_CHECK_FAILED, EXIT_USAGE, AdvisorError

__all__ = ["AwsError", "AwsContext", "call", "iam_action", "translate"]

# IAM service prefixes for the botocore service names we use.
_IAM_PREFIX = {"bedrock": "bedrock", "bedrock-runtime": "bedrock", "s3": "s3", "sts": "sts"}
# S3 operations whose IAM action is not s3:<OperationName>.
_S3_ACTIONS = {"HeadObject": "s3:GetObject", "HeadBucket": "s3:ListBucket", "ListObjectsV2": "s3:ListBucket",
               "GetBucketLocation": "s3:GetBucketLocation", "CreateMultipartUpload": "s3:PutObject",
               "UploadPart": "s3:PutObject", "CompleteMultipartUpload": "s3:PutObject",
               "PutObject": "s3:PutObject", "GetObject": "s3:GetObject", "DeleteObject": "s3:DeleteObject"}
_RUNTIME_ACTIONS = {"Converse": "bedrock:InvokeModel", "ConverseStream": "bedrock:InvokeModelWithResponseStream",
                    "InvokeModel": "bedrock:InvokeModel"}
_THROTTLE = {"ThrottlingException", "Throttling", "TooManyRequestsException", "SlowDown",
             "RequestLimitExceeded", "ServiceQuotaExceededException"}
_DENIED = {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation", "Forbidden"}
_CREDS = {"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
          "InvalidSignatureException", "SignatureDoesNotMatch", "InvalidAccessKeyId"}


class AwsError(AdvisorError):
    """An AWS call failed; ``code`` is AWS's error code, ``operation`` the API operation.

    Exit 2 for set-up problems the user fixes outside the data (credentials, permissions, region,
    throttling that outlasted the retries); exit 1 when AWS rejected the request's content.
    """

    def __init__(self, message: str, *, code: str = "", operation: str = "", resource: str = "",
                 exit_code: int = EXIT_USAGE):
        super().__init__(message)
        self.code = code
        self.operation = operation
        self.resource = resource
        self.exit_code = exit_code


def iam_action(service: str, operation: str) -> str:
    """The IAM action an operation needs, e.g. ``bedrock:CreateModelCustomizationJob``."""
    if service == "s3" and operation in _S3_ACTIONS:
        return _S3_ACTIONS[operation]
    if service == "bedrock-runtime" and operation in _RUNTIME_ACTIONS:
        return _RUNTIME_ACTIONS[operation]
    return f"{_IAM_PREFIX.get(service, service)}:{operation}"


def _op_name(operation: str) -> str:
    """``create_model_customization_job`` -> ``CreateModelCustomizationJob`` (already Pascal: unchanged)."""
    if "_" in operation or operation.islower():
        return "".join(part.capitalize() for part in operation.split("_"))
    return operation


def translate(exc: BaseException, service: str, operation: str, resource: str = "") -> AdvisorError:
    """Our error for a botocore/boto3 exception raised by ``service``.``operation`` on ``resource``."""
    from botocore import exceptions as bx

    op = _op_name(operation)
    on = f" on {resource}" if resource else ""
    where = f"{service} {op}{on}"
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError, bx.CredentialRetrievalError)):
        return AwsError(f"{where}: no AWS credentials found. Fix: set AWS_PROFILE (and run `aws sso login` "
                        "for SSO profiles) or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or run where an IAM role "
                        "is attached", code="NoCredentials", operation=op, resource=resource)
    if isinstance(exc, bx.ProfileNotFound):
        return AwsError(f"{where}: {exc}. Fix: check --profile / AWS_PROFILE against ~/.aws/config",
                        code="ProfileNotFound", operation=op, resource=resource)
    if isinstance(exc, bx.NoRegionError):
        return AwsError(f"{where}: no AWS region set. Fix: pass --region or set AWS_REGION",
                        code="NoRegion", operation=op, resource=resource)
    if isinstance(exc, bx.ParamValidationError):
        return AwsError(f"{where}: the request is invalid: {exc}", code="ParamValidation", operation=op,
                        resource=resource, exit_code=EXIT_CHECK_FAILED)
    if isinstance(exc, (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError,
                        bx.ConnectionClosedError)):
        return AwsError(f"{where}: cannot reach the endpoint ({exc}). Fix: check the network, the region and "
                        "any AWS_ENDPOINT_URL* variables, then re-run (finished steps are kept)",
                        code="EndpointConnection", operation=op, resource=resource)
    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {}) or {}
        code = str(err.get("Code") or "")
        message = str(err.get("Message") or "").strip()
        status = (exc.response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
        said = f": {message}" if message else ""
        if code in _DENIED or status == 403 and code not in _CREDS:
            action = iam_action(service, op)
            return AwsError(f"{where}: access denied{said}. Fix: allow {action} for your identity "
                            f"(and the resource{on or ''}) in its IAM policy", code=code or "AccessDenied",
                            operation=op, resource=resource)
        if code in _CREDS:
            return AwsError(f"{where}: the AWS credentials were rejected ({code}){said}. Fix: refresh them "
                            "(`aws sso login`, new keys) or pick another profile", code=code, operation=op,
                            resource=resource)
        if code in _THROTTLE or status == 429:
            return AwsError(f"{where}: throttled by AWS ({code or status}) after the retries{said}. Fix: wait and "
                            "re-run the same command (finished steps are kept), or ask for a higher quota",
                            code=code or "Throttling", operation=op, resource=resource)
        if code in ("ValidationException", "InvalidRequest", "InvalidArgument", "ValidationError"):
            return AwsError(f"{where}: AWS rejected the request{said}", code=code, operation=op,
                            resource=resource, exit_code=EXIT_CHECK_FAILED)
        if code in ("ResourceNotFoundException", "NoSuchBucket", "NoSuchKey", "404", "NotFound"):
            return AwsError(f"{where}: not found{said}", code=code, operation=op, resource=resource,
                            exit_code=EXIT_CHECK_FAILED)
        return AwsError(f"{where}: {code or status}{said}", code=code, operation=op, resource=resource)
    if isinstance(exc, bx.BotoCoreError):
        return AwsError(f"{where}: {exc}", code=type(exc).__name__, operation=op, resource=resource)
    return AwsError(f"{where}: {exc}", operation=op, resource=resource)


def call(client, operation: str, resource: str = "", **kwargs) -> dict[str, Any]:
    """``client.<operation>(**kwargs)`` with errors translated (see :func:`translate`)."""
    from botocore import exceptions as bx

    try:
        return getattr(client, operation)(**kwargs)
    except (bx.BotoCoreError, bx.ClientError) as exc:
        raise translate(exc, client.meta.service_model.service_name, operation, resource) from None


def error_code(exc: BaseException) -> str:
    return getattr(exc, "code", "") or ""


class AwsContext:
    """A boto3 session plus cached clients for one profile and region."""

    def __init__(self, profile: str | None = None, region: str | None = None, max_attempts: int = 5):
        self.profile = profile
        self.region = region
        self.max_attempts = max_attempts
        self._session = None
        self._clients: dict[str, Any] = {}

    @property
    def session(self):
        if self._session is None:
            import boto3
            from botocore import exceptions as bx

            try:
                self._session = boto3.session.Session(profile_name=self.profile, region_name=self.region)
            except bx.BotoCoreError as exc:
                raise translate(exc, "sts", "session", self.profile or "") from None
        return self._session

    @property
    def region_name(self) -> str | None:
        return self.session.region_name

    def client(self, service: str):
        if service not in self._clients:
            from botocore import exceptions as bx
            from botocore.config import Config


            retries: dict[str, Any] = {"mode": "standard"}
            if not os.environ.get("AWS_MAX_ATTEMPTS"):  # the standard variable wins when set
                retries["max_attempts"] = self.max_attempts
            config = Config(retries=retries, user_agent_extra="advisor-launch")
            try:
                self._clients[service] = self.session.client(service, config=config)
            except bx.BotoCoreError as exc:
                raise translate(exc, service, "client", "") from None
        return self._clients[service]


ROLE_ARN = re.compile(r"arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+")
