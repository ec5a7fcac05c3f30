# lc-modulestore: its tables (the app's migrations; openedx_content is edx-platform's own and migrates with it)
echo "Migrating lc-modulestore"
./manage.py lms migrate lc_modulestore --no-input
mkdir -p "{{ LC_MODULESTORE_FS_ROOT }}"
