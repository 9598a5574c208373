"""Launcher for ``bedrock_fine_tune``: dataset → S3 → customisation job → metrics → deployment → eval → report.

``plan()`` is pure (it reads the user's files only to fingerprint them); ``run()`` does the I/O, one
step at a time, recording every resource in the ledger before the next step starts. Each create
call carries a client request token derived from the launch name and step, and before creating
anything ``run()`` looks the resource up by its deterministic name, so a crash between the call
and the ledger write never makes a second job, deployment or Provisioned Throughput.

Jobs are looked up by name (real Bedrock accepts a name or an ARN; moto only a name).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path
from typing import Any

from advisor.aws import ROLE_ARN, AwsContext, AwsError, call
from advisor.errors import CheckFailed, UsageError, location_for
from advisor.launchers.plan import Field, Plan, Request, Step
from advisor.launchers.running import StillRunning, fault, run_steps

PATH = "bedrock_fine_tune"
NOVA_FORMAT = "bedrock-conversation-2024"
CLAUDE_FORMAT = "bedrock-claude-conversation"
RUNNING = {"InProgress", "Stopping"}
DEPLOY_CHOICES = ("on-demand", "provisioned", "none")
# Words in a job's failureMessage that point at the dataset.
_DATA_WORDS = ("jsonl", "data", "record", "format", "token", "parse", "validation")


# Catalogue errors that must stop the launch rather than fall back to the rule base.
_NO_FALLBACK = {"NoCredentials", "ProfileNotFound", "NoRegion", "UnrecognizedClientException",
                "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "InvalidSignatureException",
                "SignatureDoesNotMatch", "Throttling", "ThrottlingException"}




def _upload_fault():
    if os.environ.get("ADVISOR_LAUNCH_FAULT") != "during:upload":
        return None
    sent = [0]

    def callback(n: int) -> None:
        sent[0] += n
        if sent[0] > 0:
            fault("during:upload")

    return callback




# --- command line ------------------------------------------------------------------------------------

def add_arguments(p) -> None:
    g = p.add_argument_group("bedrock_fine_tune")
    g.add_argument("--train", metavar="FILE", help="training JSONL")
    g.add_argument("--validation", metavar="FILE", help="validation JSONL")
    g.add_argument("--test", metavar="FILE", help="test JSONL: evaluate base vs custom model on it")
    g.add_argument("--bucket", metavar="NAME", help="S3 bucket in the job's region (data, output)")
    g.add_argument("--prefix", metavar="KEY", default="advisor", help="S3 key prefix (default advisor)")
    g.add_argument("--role-arn", metavar="ARN", help="IAM role Bedrock assumes (see README for its policies)")
    g.add_argument("--model", metavar="ID", help="catalogue id to fine-tune (default: the recommendation's)")
    g.add_argument("--region", metavar="REGION", help="AWS region (default: the model's first catalogue region)")
    g.add_argument("--profile", metavar="NAME", help="AWS profile (default: the standard chain)")
    g.add_argument("--deploy", choices=DEPLOY_CHOICES, default=None,
                   help="serve the custom model on-demand (Nova), on Provisioned Throughput, or not at all")
    g.add_argument("--hourly-price", type=float, metavar="USD",
                   help="Provisioned Throughput price per model unit per hour (no reliable default exists; "
                        "default: provisioned_throughput_hourly_usd from the answers)")
    g.add_argument("--model-units", type=int, default=1, metavar="N", help="Provisioned Throughput model units")
    g.add_argument("--training-price", type=float, metavar="USD",
                   help="training price per million tokens, to estimate the job's cost (no reliable default)")
    g.add_argument("--wait", action="store_true", help="stay until the job (and deployment) finish")
    g.add_argument("--poll-interval", type=float, default=30.0, metavar="SECONDS",
                   help="first wait between status checks; it grows 1.5x up to --poll-max (default 30)")
    g.add_argument("--poll-max", type=float, default=300.0, metavar="SECONDS", help="longest wait (default 300)")


# What the interview's Launch form asks for (the same options as the command line).
FIELDS = (
    Field("train", "Training data (JSONL)", "file", required=True),
    Field("validation", "Validation data (JSONL, optional)", "file"),
    Field("test", "Test data to compare base and custom model (JSONL, optional)", "file"),
    Field("bucket", "S3 bucket in the job's region", required=True),
    Field("role_arn", "IAM role ARN Bedrock assumes", required=True),
    Field("model", "Catalogue model id (empty: the recommendation's)"),
    Field("region", "AWS region (empty: the model's first region)"),
    Field("deploy", "Deployment", "choice", choices=DEPLOY_CHOICES),
    Field("hourly_price", "Provisioned Throughput USD per model unit per hour", "number"),
    Field("training_price", "Training USD per 1M tokens (for the estimate)", "number"),
)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _file_input(value: str | None, what: str) -> dict[str, Any] | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_file():
        from advisor.errors import InputError

        raise InputError(f"{what} file not found", location_for(value))
    return {"path": str(path.resolve()), "sha256": _sha256(path), "bytes": path.stat().st_size}


def inputs_from_args(args, answers: dict[str, Any] | None = None) -> dict[str, Any]:
    """The launch's inputs (files fingerprinted by content): a re-run under the same name must match.

    Prices the user gave in the answers file (``provisioned_throughput_hourly_usd``,
    ``fine_tuning_training_cost_usd``) stand in for ``--hourly-price`` / a training estimate.
    """
    answers = answers or {}
    missing = [flag for flag, value in (("--train", args.train), ("--bucket", args.bucket),
                                       ("--role-arn", args.role_arn)) if not value]
    if missing:
        raise UsageError(f"bedrock_fine_tune needs {', '.join(missing)}")
    deploy = args.deploy or "none"
    hourly = args.hourly_price if args.hourly_price is not None else answers.get("provisioned_throughput_hourly_usd")
    if deploy == "provisioned" and hourly is None:
        raise UsageError("--deploy provisioned needs --hourly-price USD, or provisioned_throughput_hourly_usd in the "
                         "answers (the Provisioned Throughput price per model "
                         "unit per hour for your model, region and commitment; no reliable published figure exists "
                         "to default to)")
    if args.model_units < 1:
        raise UsageError("--model-units must be 1 or more")
    return {
        "train": _file_input(args.train, "training"),
        "validation": _file_input(args.validation, "validation"),
        "test": _file_input(args.test, "test"),
        "bucket": args.bucket,
        "prefix": (args.prefix or "").strip("/"),
        "role_arn": args.role_arn,
        "model": args.model,
        "region": args.region,
        "profile": args.profile,
        "deploy": deploy,
        "hourly_price": hourly if deploy == "provisioned" else None,
        "model_units": args.model_units if deploy == "provisioned" else None,
        "training_price": args.training_price,
        "training_cost_answer": answers.get("fine_tuning_training_cost_usd"),
    }


# --- plan ----------------------------------------------------------------------------------------------

def _hp_string(value: float | int) -> str:
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int) or float(value).is_integer() and abs(value) >= 1:
        return str(int(value))
    return format(float(value), "g")


def _today():
    from advisor.engine.engine import today_from_env

    return today_from_env()


def resolve_model(rec, inputs: dict[str, Any], rulebase):
    """The catalogue entry to fine-tune; CheckFailed (exit 1) when unknown or past end of life."""
    model_id = inputs.get("model") or (rec.model.id if rec is not None and rec.model is not None else None)
    if not model_id:
        raise UsageError("the recommendation names no fine-tuning model; pass --model ID")
    entry = rulebase.models.get(model_id)
    if entry is None:
        known = ", ".join(sorted(rulebase.models)) or "none"
        raise CheckFailed(f"unknown model {model_id!r}; the catalogue has: {known}. Nothing was uploaded")
    today = _today()
    if entry.lifecycle.status == "end_of_life" or entry.past_end_of_life(today):
        eol = entry.lifecycle.end_of_life
        raise CheckFailed(f"model {entry.name} ({entry.id}) is past its end of life ({eol}); Bedrock no longer "
                          f"accepts it. Pick a current model with --model (see `advisor rules` / the catalogue). "
                          f"Nothing was uploaded")
    return entry


def _hyperparameters(rec, entry) -> dict[str, str]:
    values: dict[str, float | int] = {}
    if rec is not None and rec.model is not None and rec.model.id == entry.id and rec.hyperparameters:
        values = dict(rec.hyperparameters)
    for name, spec in entry.hyperparameters.items():
        values.setdefault(name, spec.default)
    out = {}
    for name, value in values.items():
        spec = entry.hyperparameters.get(name)
        if spec is None:
            continue  # a name this model's API does not take (e.g. after --model)
        value = min(max(value, spec.min), spec.max)
        out[name] = _hp_string(int(round(value)) if spec.type == "int" else float(value))
    return out


def _names(name: str) -> dict[str, str]:
    from advisor.launchers.ledger import token

    suffix = token(name, "names")[:8]
    return {"job": f"advisor-{name}-{suffix}", "model": f"advisor-{name}-{suffix}",
            "deployment": f"advisor-{name}-{suffix}", "provisioned": f"advisor-{name}-{suffix}"}


def _estimate_tokens(info: dict[str, Any] | None, chars_per_token: float) -> int:
    if not info:
        return 0
    return int(info["bytes"] / max(chars_per_token, 1.0))


def _token_price(rulebase, entry):
    try:
        from advisor.knowledge.prices import prices_of

        prices = prices_of(rulebase)
    except Exception:  # a rule base without prices
        return None
    for mid in (entry.id, entry.inference_model_id or "", entry.base_model_id):
        price = prices.for_model(mid) if mid else None
        if price is not None:
            return price
    return None


def _inference_id(base_model_id: str) -> str:
    """``amazon.nova-micro-v1:0:128k`` -> ``amazon.nova-micro-v1:0`` (the customisation id's context suffix off)."""
    return base_model_id.rsplit(":", 1)[0] if base_model_id.count(":") > 1 else base_model_id


def plan(rec, inputs: dict[str, Any], rulebase=None, name: str = "launch") -> Plan:
    """The steps of this launch with the exact requests (pure: reads nothing but the rule base)."""
    if rulebase is None:
        from advisor.knowledge import load_rulebase

        rulebase = load_rulebase()
    entry = resolve_model(rec, inputs, rulebase)
    region = inputs.get("region") or (entry.regions[0] if entry.regions else None)
    if not region:
        raise UsageError(f"model {entry.id} lists no region; pass --region")
    if entry.regions and region not in entry.regions:
        raise CheckFailed(f"{entry.name} can be fine-tuned in {', '.join(entry.regions)}, not {region}. "
                          "Nothing was uploaded")
    if entry.customization_types and "FINE_TUNING" not in entry.customization_types:
        raise CheckFailed(f"{entry.name} does not support fine-tuning (catalogue: "
                          f"{', '.join(entry.customization_types)}). Nothing was uploaded")
    role = inputs["role_arn"]
    if not ROLE_ARN.fullmatch(role):
        raise UsageError(f"--role-arn {role!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")
    deploy = inputs.get("deploy") or "none"
    on_demand_ok = entry.base_model_id.startswith("amazon.nova")
    if deploy == "on-demand" and not on_demand_ok:
        raise UsageError(f"--deploy on-demand serves custom Amazon Nova models only; {entry.name} needs "
                         "--deploy provisioned (Provisioned Throughput) or none")
    if deploy == "provisioned" and entry.lifecycle.status == "legacy":
        raise CheckFailed(f"{entry.name} is Legacy: Bedrock takes no new Provisioned Throughput for it; use "
                          "--deploy none or a current model")
    names = _names(name)
    bucket, prefix = inputs["bucket"], inputs.get("prefix") or ""
    base = "/".join(p for p in (prefix, name) if p)
    data_key = lambda f: f"{base}/data/{f}"  # noqa: E731
    needs_conversion = entry.record_format != CLAUDE_FORMAT
    validation = inputs.get("validation")
    split = validation is None and not needs_conversion and entry.limits is not None \
        and entry.limits.max_validation_records > 0
    has_validation = validation is not None or split
    hp = _hyperparameters(rec, entry)
    limits = entry.limits
    cpt = limits.chars_per_token_estimate if limits else 4.0
    from advisor.launchers.ledger import token

    steps: list[Step] = []
    steps.append(Step("preflight", "check the live model catalogue, the role ARN and the bucket's region", [
        Request("bedrock", "list_foundation_models", {"byCustomizationType": "FINE_TUNING"}),
        Request("bedrock", "get_foundation_model", {"modelIdentifier": entry.base_model_id}),
        Request("s3", "get_bucket_location", {"Bucket": bucket}),
    ], detail=f"{entry.name} ({entry.base_model_id}) in {region}"))
    what = (f"convert to {entry.record_format} and validate" if needs_conversion
            else "validate with the dataset tooling" + ("; split off a validation set" if split else ""))
    steps.append(Step("data", what, detail="any error stops the launch here (exit 1), before anything is uploaded"))
    files = ["train.jsonl"] + (["validation.jsonl"] if has_validation else [])
    steps.append(Step("upload", "upload the data with S3 managed transfer (skipped when already there)", [
        Request("s3", "upload_file", {"Bucket": bucket, "Key": data_key(f),
                                      "ExtraArgs": {"ServerSideEncryption": "AES256"}}) for f in files]))
    job = {
        "jobName": names["job"], "customModelName": names["model"], "roleArn": role,
        "baseModelIdentifier": entry.base_model_id, "customizationType": "FINE_TUNING",
        "trainingDataConfig": {"s3Uri": f"s3://{bucket}/{data_key('train.jsonl')}"},
        "outputDataConfig": {"s3Uri": f"s3://{bucket}/{base}/output/"},
        "hyperParameters": hp,
        "jobTags": [{"key": "advisor-launch", "value": name}],
        "customModelTags": [{"key": "advisor-launch", "value": name}],
        "clientRequestToken": token(name, "create_job"),
    }
    if has_validation:
        job["validationDataConfig"] = {"validators": [{"s3Uri": f"s3://{bucket}/{data_key('validation.jsonl')}"}]}
    epochs = float(hp.get("epochCount", "1"))
    train_tokens = _estimate_tokens(inputs.get("train"), cpt)
    trained = int(train_tokens * epochs)
    price = inputs.get("training_price")
    answered = inputs.get("training_cost_answer")
    if price is None and answered is not None:
        job_cost, job_note = float(answered), (f"${float(answered):,.2f} from your answers "
                                               f"(fine_tuning_training_cost_usd: all the training runs you expect); "
                                               f"~{trained:,} tokens trained in this job")
    elif price is not None:
        job_cost, job_note = trained / 1e6 * price, (f"~{trained:,} tokens trained ({train_tokens:,} x {epochs:g} "
                                                       f"epochs) at ${price}/1M tokens, plus monthly model storage")
    else:
        job_cost, job_note = None, (f"~{trained:,} tokens trained ({train_tokens:,} x {epochs:g} epochs); the rule "
                                    "base has no reliable training price: pass --training-price USD_PER_1M_TOKENS "
                                    "to estimate. Custom model storage is billed monthly too")
    steps.append(Step("create_job", "create the model customisation job",
                      [Request("bedrock", "create_model_customization_job", job)],
                      bills=True, cost_usd=job_cost, cost_note=job_note))
    steps.append(Step("watch", "watch the job until it ends (exit 4 while it runs, unless --wait)", [
        Request("bedrock", "get_model_customization_job", {"jobIdentifier": names["job"]})],
        detail="polls with back-off: one call per interval"))
    steps.append(Step("metrics", "fetch the training and validation metrics CSVs from the job output", [
        Request("s3", "list_objects_v2", {"Bucket": bucket, "Prefix": f"{base}/output/"})]))
    if deploy == "on-demand":
        tp = _token_price(rulebase, entry)
        note = (f"billed per token like the base model (${tp.input_per_million}/1M input, "
                f"${tp.output_per_million}/1M output); no hourly charge" if tp else
                "billed per token like the base model (no sourced price in the rule base)")
        steps.append(Step("deploy", "deploy the custom model on demand", [
            Request("bedrock", "create_custom_model_deployment", {
                "modelDeploymentName": names["deployment"], "modelArn": "<custom model ARN from the job>",
                "tags": [{"key": "advisor-launch", "value": name}],
                "clientRequestToken": token(name, "deploy")})],
            bills=True, cost_usd=None, cost_unit="per token", cost_note=note))
    elif deploy == "provisioned":
        units = inputs.get("model_units") or 1
        hourly = float(inputs["hourly_price"]) * units
        steps.append(Step("deploy", "buy no-commitment Provisioned Throughput for the custom model", [
            Request("bedrock", "create_provisioned_model_throughput", {
                "provisionedModelName": names["provisioned"], "modelId": "<custom model ARN from the job>",
                "modelUnits": units, "tags": [{"key": "advisor-launch", "value": name}],
                "clientRequestToken": token(name, "deploy")})],
            bills=True, cost_usd=hourly,
            cost_note=(f"${hourly:,.2f} per hour (${hourly * 24:,.2f} a day, ${hourly * 730:,.0f} a month) "
                       f"until `advisor launch cleanup {name}`; the first hour is counted here")))
    else:
        steps.append(Step("deploy", "no deployment (--deploy none)"))
    test = inputs.get("test")
    if test is not None and deploy == "none":
        steps.append(Step("evaluate", "skipped: --test needs a deployed model (--deploy on-demand or provisioned)"))
    elif test is not None:
        tp = _token_price(rulebase, entry)
        test_tokens = _estimate_tokens(test, cpt)
        cost = (2 * test_tokens / 1e6 * (tp.input_per_million + tp.output_per_million)) if tp else None
        steps.append(Step("evaluate", "run the eval harness on --test: base model vs custom model",
                          bills=True, cost_usd=cost,
                          cost_note=(f"~{test_tokens:,} test tokens x 2 variants at the base model's token price"
                                     if tp else "token price unknown in the rule base"),
                          detail="writes eval/config.yaml and runs `advisor eval run` on it"))
    else:
        steps.append(Step("evaluate", "skipped (no --test)"))
    steps.append(Step("report", "write the launch report (report.md and report.html)"))
    notes = []
    if rec is not None and rec.path and rec.path != PATH:
        notes.append(f"the recommendation's path is {rec.path!r}, not {PATH!r}: launching as asked")
    if entry.lifecycle.status == "legacy":
        notes.append(f"{entry.name} is Legacy (end of life {entry.lifecycle.end_of_life}); plan the move")
    context = {"model_id": entry.id, "model_name": entry.name, "base_model_id": entry.base_model_id,
               "inference_model_id": entry.inference_model_id or _inference_id(entry.base_model_id),
               "record_format": entry.record_format, "region": region, "names": names, "base_key": base,
               "split_validation": split, "needs_conversion": needs_conversion, "deploy": deploy}
    return Plan(PATH, name, inputs, steps, notes, context)


# --- run -----------------------------------------------------------------------------------------------

class Runner:
    def __init__(self, plan: Plan, ledger, progress, *, wait: bool = False, poll_interval: float = 30.0,
                 poll_max: float = 300.0, rulebase=None, sleep=time.sleep, aws: AwsContext | None = None):
        self.plan = plan
        self.ledger = ledger
        self.progress = progress
        self.wait = wait
        self.poll_interval = poll_interval
        self.poll_max = poll_max
        self.sleep = sleep
        self.inputs = plan.inputs
        self.ctx = plan.context
        self._rulebase = rulebase
        self.aws = aws or AwsContext(profile=self.inputs.get("profile"), region=self.ctx["region"])
        self.dir = ledger.dir

    @property
    def rulebase(self):
        if self._rulebase is None:
            from advisor.knowledge import load_rulebase

            self._rulebase = load_rulebase()
        return self._rulebase

    @property
    def entry(self):
        return self.rulebase.models[self.ctx["model_id"]]

    def client(self, service: str):
        return self.aws.client(service)

    def run(self) -> None:
        run_steps(self, self.plan, self.ledger, self.progress)

    # 1 ---------------------------------------------------------------------------------------------
    def step_preflight(self, step: Step):
        bedrock = self.client("bedrock")
        base = self.ctx["base_model_id"]
        source = "live catalogue"
        try:
            summaries = call(bedrock, "list_foundation_models", "FINE_TUNING models",
                             byCustomizationType="FINE_TUNING").get("modelSummaries", [])
        except AwsError as exc:
            if exc.code in _NO_FALLBACK:
                raise
            source = "rule base (the live catalogue could not be read)"
            self.progress.info(f"preflight: cannot read the live catalogue ({exc.message}); continuing on the "
                               f"rule base's catalogue")
            summaries = None
        if summaries is not None:
            found = next((s for s in summaries if s.get("modelId") == base
                          or s.get("modelArn", "").endswith("/" + base)), None)
            if found is None:
                try:
                    found = call(bedrock, "get_foundation_model", base, modelIdentifier=base).get("modelDetails")
                except AwsError as exc:
                    if exc.code not in ("ResourceNotFoundException", "ValidationException"):
                        raise
                    found = None
            if found is None:
                raise CheckFailed(f"{base} is not offered for fine-tuning in {self.ctx['region']} (live catalogue). "
                                  "Nothing was uploaded")
            lifecycle = (found.get("modelLifecycle") or {}).get("status", "ACTIVE")
            custom = found.get("customizationsSupported") or []
            if lifecycle != "ACTIVE":
                raise CheckFailed(f"{base} is {lifecycle} in {self.ctx['region']}: Bedrock takes no new fine-tuning "
                                  "or deployments for it. Pick a current model with --model. Nothing was uploaded")
            if custom and "FINE_TUNING" not in custom:
                raise CheckFailed(f"{base} does not support FINE_TUNING in {self.ctx['region']}. Nothing was uploaded")
        bucket = self.inputs["bucket"]
        s3 = self.client("s3")
        where = call(s3, "get_bucket_location", f"s3://{bucket}", Bucket=bucket).get("LocationConstraint")
        bucket_region = where or "us-east-1"
        if bucket_region == "EU":
            bucket_region = "eu-west-1"
        if bucket_region != self.ctx["region"]:
            raise CheckFailed(f"bucket {bucket} is in {bucket_region}, but the job runs in {self.ctx['region']}; "
                              f"Bedrock needs them in the same region. Use a bucket in {self.ctx['region']}. "
                              "Nothing was uploaded")
        self.ledger.update("preflight", catalogue=source, bucket_region=bucket_region)
        return f"{self.ctx['model_name']} active for fine-tuning ({source}); bucket in {bucket_region}"

    # 2 ---------------------------------------------------------------------------------------------
    def step_data(self, step: Step):
        out = self.dir / "data"
        out.mkdir(parents=True, exist_ok=True)
        train = Path(self.inputs["train"]["path"])
        validation = Path(self.inputs["validation"]["path"]) if self.inputs.get("validation") else None
        if self.ctx["needs_conversion"]:
            files = {"train.jsonl": self._convert(train, out / "train.jsonl")}
            if validation is not None:
                files["validation.jsonl"] = self._convert(validation, out / "validation.jsonl")
        else:
            files = self._validate_claude(train, validation, out)
        self.ledger.update("data", files=files)
        counts = ", ".join(f"{k}: {v['records']} records" for k, v in files.items())
        return counts

    def _validate_claude(self, train: Path, validation: Path | None, out: Path) -> dict[str, Any]:
        from advisor.datasets.validate import validate_dataset

        entry = self.entry
        report = validate_dataset(train, validation, entry)
        if not report.valid:
            raise CheckFailed("the dataset fails validation; nothing was uploaded\n" + report.render_text()
                              + f"\nFix: advisor data validate {train}"
                              + (f" --validation {validation}" if validation else "") + f" --model {entry.id}")
        # the inputs were fingerprinted when this run planned (a changed file is refused as a changed launch)
        files = {"train.jsonl": {"path": str(train), "records": report.records("training"),
                                 "sha256": self.inputs["train"]["sha256"]}}
        if validation is not None:
            files["validation.jsonl"] = {"path": str(validation), "records": report.records("validation"),
                                         "sha256": self.inputs["validation"]["sha256"]}
        elif self.ctx["split_validation"]:
            files = self._split(train, out, entry) or files
        return files

    def _split(self, train: Path, out: Path, entry) -> dict[str, Any] | None:
        from advisor.datasets.split import split_dataset

        limits = entry.limits
        total = sum(1 for line in open(train, "rb") if line.strip())
        n_val = max(limits.min_validation_records, round(total * 0.1))
        if total - n_val < limits.min_training_records or n_val > limits.max_validation_records:
            self.progress.info(f"data: {total} records are too few to split off a validation set; training without "
                               "one")
            return None
        result = split_dataset(train, out / "split", entry, validation=n_val / total, test=0.0, seed=0)
        return {"train.jsonl": {"path": result.files["train"], "records": result.counts["train"],
                                "sha256": _sha256(Path(result.files["train"]))},
                "validation.jsonl": {"path": result.files["validation"], "records": result.counts["validation"],
                                     "sha256": _sha256(Path(result.files["validation"]))}}

    def _convert(self, source: Path, target: Path) -> dict[str, Any]:
        """Any conversation JSONL (Claude or Nova shape) to Nova's ``bedrock-conversation-2024`` records."""
        from advisor.datasets.convert import Conversation, read_records

        entry = self.entry
        reserved = list(entry.limits.reserved_strings) if entry.limits else []
        fmt = "bedrock"
        with open(source, "rb") as fh:
            for raw in fh:
                if raw.strip():
                    fmt = "distillation" if b'"schemaVersion"' in raw else "bedrock"
                    break
        problems: list[str] = []
        written = 0
        digest = hashlib.sha256()
        tmp = target.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as fh:
            for line, _where, item in read_records(source, fmt):
                where_text = f"{source}:{line}" if line else str(source)
                if not isinstance(item, Conversation):
                    problems.append(f"{where_text}: {item.message}")  # type: ignore[attr-defined]  # a ConvertError
                    continue
                roles = [r for r, _ in item.turns]
                if len(roles) < 2 or roles[0] != "user" or roles[-1] != "assistant" or any(
                        a == b for a, b in zip(roles, roles[1:])):
                    problems.append(f"{where_text}: turns must alternate user/assistant, starting with user and "
                                    "ending with assistant")
                    continue
                texts = ([item.system] if item.system else []) + [t for _, t in item.turns]
                if any(not t.strip() for t in texts):
                    problems.append(f"{where_text}: empty text")
                    continue
                bad = next((s for s in reserved for t in texts if s in t), None)
                if bad is not None:
                    problems.append(f"{where_text}: holds the reserved string {bad!r}, which fails the job")
                    continue
                record: dict[str, Any] = {"schemaVersion": NOVA_FORMAT}
                if item.system:
                    record["system"] = [{"text": item.system}]
                record["messages"] = [{"role": r, "content": [{"text": t}]} for r, t in item.turns]
                text = json.dumps(record, ensure_ascii=False) + "\n"
                fh.write(text)
                digest.update(text.encode("utf-8"))
                written += 1
        limits = entry.limits
        role = "validation" if "validation" in target.name else "training"
        if limits is not None:
            low = limits.min_validation_records if role == "validation" else limits.min_training_records
            high = limits.max_validation_records if role == "validation" else limits.max_training_records
            if not problems and not low <= written <= high:
                problems.append(f"{source}: {written} {role} records; {entry.name} takes {low} to {high}")
        if problems:
            tmp.unlink(missing_ok=True)
            shown = "\n".join(problems[:20]) + (f"\n… and {len(problems) - 20} more" if len(problems) > 20 else "")
            raise CheckFailed(f"the dataset fails validation for {entry.name}; nothing was uploaded\n{shown}\n"
                              f"Fix: advisor data validate {source} --model {entry.id}")
        os.replace(tmp, target)
        return {"path": str(target), "records": written, "sha256": digest.hexdigest()}

    # 3 ---------------------------------------------------------------------------------------------
    def step_upload(self, step: Step):
        from boto3.s3.transfer import TransferConfig
        from botocore import exceptions as bx

        from advisor.aws import translate

        s3 = self.client("s3")
        bucket = self.inputs["bucket"]
        files = self.ledger.resources("data")["files"]
        config = TransferConfig()  # boto3's defaults: multipart above 8 MB, 10 threads, retries per part
        done = []
        for name, info in files.items():
            key = f"{self.ctx['base_key']}/data/{name}"
            local = Path(info["path"])
            digest = info.get("sha256") or _sha256(local)  # hashed once, when the data step wrote or read it
            size = local.stat().st_size
            try:
                head = s3.head_object(Bucket=bucket, Key=key)
            except bx.ClientError as exc:
                if (exc.response.get("Error") or {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
                    raise translate(exc, "s3", "HeadObject", f"s3://{bucket}/{key}") from None
                head = None
            except bx.BotoCoreError as exc:
                raise translate(exc, "s3", "HeadObject", f"s3://{bucket}/{key}") from None
            if head and head.get("ContentLength") == size and (head.get("Metadata") or {}).get("sha256") == digest:
                done.append(f"{name} already there")
            else:
                try:
                    s3.upload_file(str(local), bucket, key, Config=config, Callback=_upload_fault(),
                                   ExtraArgs={"ServerSideEncryption": "AES256", "Metadata": {"sha256": digest}})
                except (bx.ClientError, bx.BotoCoreError) as exc:
                    raise translate(exc, "s3", "PutObject", f"s3://{bucket}/{key}") from None
                except Exception as exc:  # boto3's S3UploadFailedError wraps the ClientError
                    cause = exc.__cause__ or exc.__context__
                    if isinstance(cause, (bx.ClientError, bx.BotoCoreError)):
                        raise translate(cause, "s3", "PutObject", f"s3://{bucket}/{key}") from None
                    raise
                done.append(f"{name} uploaded ({size:,} bytes)")
            self.ledger.update("upload", **{name: {"s3_uri": f"s3://{bucket}/{key}", "sha256": digest, "bytes": size}})
        return "; ".join(done)

    # 4 ---------------------------------------------------------------------------------------------
    def step_create_job(self, step: Step):
        bedrock = self.client("bedrock")
        params = dict(step.requests[0].params)
        if "validation.jsonl" not in (self.ledger.resources("data").get("files") or {}):
            params.pop("validationDataConfig", None)  # the split found too few records
        name = params["jobName"]
        existing = self._get_job(name)
        if existing is None:
            try:
                arn = call(bedrock, "create_model_customization_job", name, **params)["jobArn"]
                fault("created:create_job")
            except AwsError as exc:
                if exc.code not in ("ConflictException", "ResourceInUseException"):
                    raise
                existing = self._get_job(name)
                if existing is None:
                    raise
                arn = existing["jobArn"]
        else:
            arn = existing["jobArn"]
        self.ledger.update("create_job", job_arn=arn, job_name=name, custom_model_name=params["customModelName"])
        return f"job {name}"

    def _get_job(self, name: str):
        try:
            return call(self.client("bedrock"), "get_model_customization_job", name, jobIdentifier=name)
        except AwsError as exc:
            if exc.code in ("ResourceNotFoundException", "ValidationException"):
                return None
            raise

    # 5 ---------------------------------------------------------------------------------------------
    def step_watch(self, step: Step):
        name = self.ledger.resource("create_job", "job_name")
        job = self._poll(lambda: call(self.client("bedrock"), "get_model_customization_job", name,
                                      jobIdentifier=name), "watch", RUNNING)
        status = job["status"]
        if status in RUNNING:
            raise StillRunning("watch", f"job {name} is {status}; check later with `advisor launch status "
                                        f"{self.plan.name}` or re-run the same command (add --wait to stay)")
        if status != "Completed":
            message = (job.get("failureMessage") or "no failure message").strip()
            hint = ""
            if any(w in message.lower() for w in _DATA_WORDS):
                train = self.inputs["train"]["path"]
                hint = f"\nFix the data: advisor data validate {train} --model {self.ctx['model_id']}"
            self.ledger.update("watch", job_status=status, failure_message=message)
            raise CheckFailed(f"job {name} ended {status}: {message}{hint}")
        self.ledger.update("watch", job_status=status, output_model_arn=job.get("outputModelArn"),
                           output_model_name=job.get("outputModelName"))
        return f"job {name} Completed"

    def _poll(self, get, step: str, running: set[str]) -> dict[str, Any]:
        waited, delay = 0.0, self.poll_interval
        while True:
            result = get()
            self.progress.poll(step, result.get("status", "?"), waited)
            if result.get("status") not in running or not self.wait:
                return result
            self.sleep(delay)
            waited += delay
            delay = min(self.poll_max, delay * 1.5)

    # 6 ---------------------------------------------------------------------------------------------
    def step_metrics(self, step: Step):
        s3 = self.client("s3")
        bucket = self.inputs["bucket"]
        prefix = f"{self.ctx['base_key']}/output/"
        out = self.dir / "metrics"
        out.mkdir(parents=True, exist_ok=True)
        found = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                key = obj["Key"]
                for kind, suffix in (("training", "step_wise_training_metrics.csv"),
                                     ("validation", "validation_metrics.csv")):
                    if key.endswith(suffix):
                        body = call(s3, "get_object", f"s3://{bucket}/{key}", Bucket=bucket, Key=key)["Body"].read()
                        (out / f"{kind}.csv").write_bytes(body)
                        found[kind] = f"s3://{bucket}/{key}"
        self.ledger.update("metrics", **found)
        return ", ".join(sorted(found)) + " metrics" if found else "no metrics files in the job output yet"

    # 7 ---------------------------------------------------------------------------------------------
    def _custom_model_arn(self) -> str:
        arn = self.ledger.resource("watch", "output_model_arn")
        if arn:
            return arn
        name = self.ledger.resource("create_job", "custom_model_name")
        return call(self.client("bedrock"), "get_custom_model", name, modelIdentifier=name)["modelArn"]

    def step_deploy(self, step: Step):
        deploy = self.ctx["deploy"]
        if deploy == "none":
            return "skipped", "no deployment asked for"
        bedrock = self.client("bedrock")
        params = dict(step.requests[0].params)
        existing_arn = self.ledger.resource("deploy", "arn")
        if deploy == "on-demand":
            name = params["modelDeploymentName"]
            get = lambda ident: call(bedrock, "get_custom_model_deployment", ident,  # noqa: E731
                                     customModelDeploymentIdentifier=ident)
            create_op, arn_key, running = "create_custom_model_deployment", "customModelDeploymentArn", {"Creating"}
            good = "Active"
        else:
            name = params["provisionedModelName"]
            get = lambda ident: call(bedrock, "get_provisioned_model_throughput", ident,  # noqa: E731
                                     provisionedModelId=ident)
            create_op, arn_key, running = ("create_provisioned_model_throughput", "provisionedModelArn",
                                           {"Creating", "Updating"})
            good = "InService"
        if not existing_arn:
            current = None
            try:
                current = get(name)
            except AwsError as exc:
                if exc.code not in ("ResourceNotFoundException", "ValidationException"):
                    raise
            if current is not None:
                existing_arn = current.get(arn_key) or current.get("customModelDeploymentArn") \
                    or current.get("provisionedModelArn")
            else:
                if "modelArn" in params:
                    params["modelArn"] = self._custom_model_arn()
                else:
                    params["modelId"] = self._custom_model_arn()
                existing_arn = call(bedrock, create_op, name, **params)[arn_key]
                fault("created:deploy")
            self.ledger.update("deploy", arn=existing_arn, name=name, kind=deploy)
        result = self._poll(lambda: get(existing_arn), "deploy", running)
        if result["status"] in running:
            raise StillRunning("deploy", f"{name} is {result['status']}; re-run the same command later (or --wait)")
        if result["status"] != good:
            raise CheckFailed(f"deployment {name} ended {result['status']}: {result.get('failureMessage') or ''}")
        return f"{name} {good}"

    # 8 ---------------------------------------------------------------------------------------------
    def step_evaluate(self, step: Step):
        if not self.inputs.get("test"):
            return "skipped", "no --test file"
        target = self.ledger.resource("deploy", "arn")
        if not target:
            return "skipped", "nothing deployed to evaluate (use --deploy on-demand or provisioned)"
        from advisor.evals.harness import RunOptions, run_eval
        from advisor.evals.report import build_report

        config = write_eval_config(self.dir / "eval", Path(self.inputs["test"]["path"]), self.ctx["region"],
                                   self.ctx["inference_model_id"], target)
        result = run_eval(config, RunOptions(output_dir=self.dir / "eval" / "run", progress=False, retry_errors=True,
                                             cache_dir=self.dir / "eval" / "cache"))
        report = build_report(result)
        if report.errors:
            first = next((r["error"] for r in report.rows if r.get("error")), "no answer")
            from advisor.errors import AdvisorError

            raise AdvisorError(f"{report.errors} evaluation calls failed (first: {first}); the answers so far are "
                               "kept: fix this and re-run the same command")
        table = [{"variant": v.name, "model": v.model, "examples": v.examples, "done": v.done, "errors": v.errors,
                  **{k: round(x, 2) for k, x in v.metrics.items()}} for v in report.variants]
        self.ledger.update("evaluate", config=str(config), table=table, metric=report.metric)
        return f"{len(result.plan.examples)} test examples x {len(table)} variants"

    # 9 ---------------------------------------------------------------------------------------------
    def step_report(self, step: Step):
        from advisor.launchers.report import write_reports

        paths = write_reports(self.plan, self.ledger, self.dir)
        self.ledger.update("report", **{k: str(v) for k, v in paths.items()})
        return ", ".join(str(p) for p in paths.values())


def write_eval_config(folder: Path, test: Path, region: str, base_model: str, custom_model: str) -> Path:
    """An eval config comparing base and custom model on the test file's last user turn → assistant answer."""
    import yaml

    from advisor.datasets.convert import Conversation, read_records

    folder.mkdir(parents=True, exist_ok=True)
    fmt = "bedrock"
    with open(test, "rb") as fh:
        for raw in fh:
            if raw.strip():
                fmt = "distillation" if b'"schemaVersion"' in raw else "bedrock"
                break
    rows = []
    for line, _, item in read_records(test, fmt):
        if not isinstance(item, Conversation) or len(item.turns) < 2 or item.turns[-1][0] != "assistant":
            raise CheckFailed(f"{test}:{line}: a test record needs a user turn and an assistant answer")
        rows.append({"id": f"line{line}", "question": item.turns[-2][1], "system": item.system or "",
                     "answer": item.turns[-1][1]})
    data = folder / "test.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    config = {"name": "launch-eval", "dataset": {"path": "test.jsonl", "format": "jsonl"}, "metric": "f1",
              "providers": {"bedrock": {"type": "bedrock", "region": region}},
              "prompt": "{{ question }}", "system": "{{ system }}",
              "variants": [{"name": "base", "provider": "bedrock", "model": base_model},
                           {"name": "custom", "provider": "bedrock", "model": custom_model}]}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def run(plan: Plan, ledger, progress, **options) -> None:
    Runner(plan, ledger, progress, **options).run()


# --- cleanup -------------------------------------------------------------------------------------------

def cleanup_actions(ledger, delete_model: bool = False) -> list[tuple[str, str, dict[str, Any]]]:
    """(description, operation, params) for what the launch created and may delete."""
    actions = []
    deploy = ledger.resources("deploy")
    if deploy.get("arn") and not deploy.get("deleted"):
        if deploy.get("kind") == "provisioned":
            actions.append((f"delete Provisioned Throughput {deploy['arn']} (stops its hourly charge)",
                            "delete_provisioned_model_throughput", {"provisionedModelId": deploy["arn"]}))
        else:
            actions.append((f"delete on-demand deployment {deploy['arn']}", "delete_custom_model_deployment",
                            {"customModelDeploymentIdentifier": deploy["arn"]}))
    job = ledger.resources("create_job")
    if delete_model and job.get("custom_model_name") and not job.get("model_deleted"):
        actions.append((f"delete custom model {job['custom_model_name']} (training it again costs money)",
                        "delete_custom_model", {"modelIdentifier": job["custom_model_name"]}))
    return actions


def job_running(ledger, aws: AwsContext) -> str | None:
    """The job's status when it still runs (checked live), else None."""
    name = ledger.resource("create_job", "job_name")
    if not name or ledger.resource("watch", "job_status"):
        return None
    job = call(aws.client("bedrock"), "get_model_customization_job", name, jobIdentifier=name)
    return job["status"] if job["status"] in RUNNING else None
