"""Where evidence images and export files live, and how a download reads them.

``FILE_STORAGE=filesystem`` (the embedded default) keeps them under
``MEDIA_ROOT``: fine on one machine. With more than one machine a file written
by web node A or a worker on node C must be readable from every node, so
``FILE_STORAGE=s3`` keeps them in a private S3(-compatible) bucket through
django-storages. Nothing in the bucket is public: objects carry no ACL and
downloads go through the authorising views, which stream the object (see
``open_for_download``) rather than redirect to a pre-signed URL, because S3
cannot send the headers evidence is served with (``Content-Security-Policy``,
``X-Content-Type-Options``) and the bucket's endpoint need not be reachable
from browsers at all.
"""

import logging

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

FILESYSTEM, S3 = "filesystem", "s3"
MB = 1024 * 1024


def default_storage_from_env(env) -> tuple[str, dict]:
    """(FILE_STORAGE, the ``STORAGES["default"]`` entry) from the environment."""
    kind = env.str("FILE_STORAGE", default=FILESYSTEM).strip().lower()
    if kind == FILESYSTEM:
        return kind, {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    if kind != S3:
        raise ImproperlyConfigured(
            f"FILE_STORAGE must be {FILESYSTEM!r} or {S3!r}, not {kind!r}.")
    bucket = env.str("S3_BUCKET", default="")
    if not bucket:
        raise ImproperlyConfigured("FILE_STORAGE=s3 needs S3_BUCKET.")
    endpoint = env.str("S3_ENDPOINT_URL", default="") or None
    from botocore.config import Config

    return kind, {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": env.str("S3_REGION", default="") or None,
            # Empty: boto3's own chain (instance role, AWS_* variables) supplies them.
            "access_key": env.str("S3_ACCESS_KEY_ID", default="") or None,
            "secret_key": env.str("S3_SECRET_ACCESS_KEY", default="") or None,
            "signature_version": "s3v4",
            # S3-compatible stores (MinIO, Ceph, moto) are addressed by path; a
            # bucket name as a sub-domain of an IP address cannot resolve.
            "addressing_style": "path" if endpoint else None,
            # Private objects; only our views read them.
            "default_acl": None,
            "querystring_expire": 60,
            # Names are random (evidence) or one folder per job (exports): a
            # retried export writes over its own partial file, never another's.
            "file_overwrite": True,
            # Anything that opens a file through the storage (normalize_evidence)
            # spools more than this to disk instead of memory.
            "max_memory_size": 8 * MB,
            "transfer_config": _upload_config(),
            "client_config": Config(connect_timeout=5, read_timeout=60,
                                    retries={"max_attempts": 3, "mode": "standard"}),
        },
    }


def _upload_config():
    """Uploads are read from a file (the export's spool): below 8 MB streamed in
    one PUT; above, in 8 MB parts that s3transfer reads into memory ahead of
    sending them, ten by default (a 40 MB upload measured +45 MB peak RSS, and
    it grows with the file up to ten parts). Two in memory and two threads: +29
    MB for 40 MB and for 100 MB alike."""
    from boto3.s3.transfer import TransferConfig

    config = TransferConfig(multipart_threshold=8 * MB, multipart_chunksize=8 * MB,
                            max_concurrency=2)
    # s3transfer's own setting, which boto3's constructor does not take.
    config.max_in_memory_upload_chunks = 2
    return config


def _is_s3(storage) -> bool:
    from storages.backends.s3 import S3Storage

    return isinstance(storage, S3Storage)


def open_for_download(file):
    """(a readable file object, its size in bytes) for a stored file, or
    FileNotFoundError. On S3 this is one GET whose body is passed on in chunks
    as it arrives: django-storages' own ``open`` costs a HEAD for the object,
    another HEAD and the GET for the download, and holds the whole object in a
    spooled buffer before the first byte reaches the client."""
    storage = file.storage
    if not _is_s3(storage):
        handle = file.open("rb")
        return handle, file.size
    from botocore.exceptions import ClientError

    try:
        response = storage.connection.meta.client.get_object(
            Bucket=storage.bucket_name, Key=file.name)
    except ClientError as exc:
        if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
            raise FileNotFoundError(file.name) from exc
        raise
    return response["Body"], response["ContentLength"]


def storage_reachable() -> bool | None:
    """For /healthz: None when files are local (nothing to check), else whether a
    HEAD on the bucket succeeds."""
    from django.core.files.storage import default_storage

    if not _is_s3(default_storage):
        return None
    try:
        default_storage.connection.meta.client.head_bucket(Bucket=default_storage.bucket_name)
        return True
    except Exception:  # any failure means "not ready"
        logger.exception("healthz: the file bucket is not reachable")
        return False
