"""Rewrites the README's table of questions from the question registry (tests/test_question_index.py checks it).

Run from the repository root after adding or changing a question's `page`:

    python tools/dev/write_question_tables.py

The manual's index table and navigation are generated when it is built (docs_hooks/question_pages.py).
"""

from pathlib import Path

from bench_lib.render import question_index

README = Path(__file__).resolve().parents[2] / "README.md"


def main() -> None:
    text = README.read_text()
    README.write_text(question_index.replace_table(text, question_index.readme_table()))
    print(f"wrote the questions table of {README}")


if __name__ == "__main__":
    main()
