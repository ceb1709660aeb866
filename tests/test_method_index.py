"""The README's method list and docs/README.md's index name every config folder."""
import re

from tool_modules import ROOT

FOLDERS = sorted(
    path.name for path in (ROOT / 'configs').iterdir()
    if path.is_dir() and path.name != '_base_')


def test_readme_method_list_names_every_config_folder():
    text = (ROOT / 'README.md').read_text()
    section = text[text.index('\n## Methods\n'):]
    section = section[:section.index('\n## ', 1)]
    listed = set(re.findall(r'`(?:configs/)?([a-z0-9_-]+)/?`', section))
    missing = [folder for folder in FOLDERS if folder not in listed]
    assert not missing, f"README.md's Methods section lacks {missing}"


def test_docs_index_links_every_method_page():
    text = (ROOT / 'docs' / 'README.md').read_text()
    missing = []
    for folder in FOLDERS:
        page = f'configs/{folder}/README.md'
        wanted = page if (ROOT / page).is_file() else f'configs/{folder}/'
        if f'`{wanted}' not in text:
            missing.append(wanted)
    assert not missing, f'docs/README.md does not name {missing}'
    for page in re.findall(r'`(configs/[a-z0-9_-]+/README\.md)`', text):
        assert (ROOT / page).is_file(), f'docs/README.md names a missing page {page}'
