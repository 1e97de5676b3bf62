"""Dataset specifications: folder/glob, CSV or dataset.json → checked :class:`Record` list.

Typical use::

    from medssl.data import load_records, validate_records

    records = load_records("data/*/flair.nii.gz", labels="label.nii.gz", modality="FLAIR")
    validate_records(records, require_label=True)
"""

from medssl.data.csv_spec import records_from_csv
from medssl.data.dataset_json import records_from_dataset_json
from medssl.data.folder import find_images, records_from_glob
from medssl.data.load import load_records
from medssl.data.record import Record, case_id, with_series
from medssl.data.validate import check_record, read_header, validate_records

__all__ = [
    "Record",
    "case_id",
    "check_record",
    "find_images",
    "load_records",
    "read_header",
    "records_from_csv",
    "records_from_dataset_json",
    "records_from_glob",
    "validate_records",
    "with_series",
]
