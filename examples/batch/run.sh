#!/bin/sh
# The batch recipe, end to end (docs/integration.md). Run from anywhere:
#   sh examples/batch/run.sh OUTDIR [AS_OF]
# A real schedule passes the moment the extract was taken as AS_OF.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?give an output directory}
as_of=${2:-2027-01-15T09:00:00+00:00}
mkdir -p "$out"
rm -f "$out/reporting.db"
python "$here/demo_database.py" "$out/reporting.db"          # stands in for the case system
python "$here/extract.py" --database "$out/reporting.db" --out "$out/cases.jsonl"
# Exit status 1 means some case could not be evaluated: its line says why.
challenge-rules evaluate --jsonl --as-of "$as_of" "$out/cases.jsonl" > "$out/results.jsonl" || test $? -eq 1
challenge-rules csv "$out/results.jsonl" > "$out/results.csv"
echo "wrote $out/results.jsonl and $out/results.csv"
