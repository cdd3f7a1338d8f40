#!/bin/sh
# Runs Debian's dovecot (dovecot-imapd) in the foreground for tests/imap_test.cc,
# with a private configuration: nothing of /etc/dovecot, systemd or /run is used.
#
# Usage: dovecot_test_server.sh PORT DIR USER PASSWORD [CERT KEY [IMAPS_PORT]]
#
# Serves the Maildir DIR/Maildir as USER's INBOX (password PASSWORD, plain
# text) on 127.0.0.1:PORT; with CERT and KEY (PEM files) it offers STARTTLS
# there, and with IMAPS_PORT also IMAP over TLS (imaps) on 127.0.0.1:IMAPS_PORT.
# Configuration, sockets, state and the log (DIR/dovecot/dovecot.log) live in
# DIR/dovecot. Run as root, the login processes run as the package's dovenull
# user and the rest as its dovecot user (dovecot refuses mail access as root),
# so DIR/Maildir and DIR/home are handed to dovecot and DIR made traversable;
# run as anyone else, every process runs as that user. Runs until SIGTERM (dovecot stops its
# children and exits).
set -eu
if [ "$#" -lt 4 ] || [ "$#" -eq 5 ] || [ "$#" -gt 7 ]; then
  echo "usage: $0 PORT DIR USER PASSWORD [CERT KEY [IMAPS_PORT]]" >&2
  exit 2
fi
port=$1 dir=$2 user=$3 password=$4
dovecot=$(command -v dovecot || echo /usr/sbin/dovecot)
if [ ! -x "$dovecot" ]; then
  echo "dovecot not found: install Debian's dovecot-imapd" >&2
  exit 127
fi
conf_dir=$dir/dovecot
mkdir -p "$conf_dir/state"
chmod 0755 "$conf_dir"
printf '%s:{PLAIN}%s\n' "$user" "$password" > "$conf_dir/passwd"

uid=$(id -u) gid=$(id -g) me=$(id -un)
mkdir -p "$dir/Maildir" "$dir/home"
if [ "$uid" -eq 0 ]; then
  login_user=dovenull internal_user=dovecot internal_group=dovecot
  uid=$(id -u dovecot) gid=$(id -g dovecot)
  chown -R dovecot:dovecot "$dir/Maildir" "$dir/home"
  chmod o+x "$dir"
  extra="service auth {
  user = root
}"
  anvil_chroot=""
else
  login_user=$me internal_user=$me internal_group=$(id -gn)
  # Without root there is no chroot.
  extra="service imap-login {
  chroot =
}"
  anvil_chroot="chroot ="
fi
imaps_port=0
if [ "$#" -ge 6 ]; then
  imaps_port=${7:-0}
  ssl="ssl = yes
ssl_cert = <$5
ssl_key = <$6"
else
  ssl="ssl = no"
fi

cat > "$conf_dir/dovecot.conf" <<CONF
# Written by tests/dovecot_test_server.sh; see there.
protocols = imap
listen = 127.0.0.1
base_dir = $conf_dir/run
state_dir = $conf_dir/state
instance_name = helpdesk-test-$port
log_path = $conf_dir/dovecot.log
info_log_path = $conf_dir/dovecot.log
default_login_user = $login_user
default_internal_user = $internal_user
default_internal_group = $internal_group
first_valid_uid = 0
first_valid_gid = 0
auth_failure_delay = 0
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$dir/Maildir
$ssl
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $conf_dir/passwd
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/home
}
# No authentication penalty (the delay dovecot adds to logins from an
# address after a failed one): the tests log in right after a wrong password.
service anvil {
  $anvil_chroot
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $imaps_port
  }
}
$extra
CONF
exec "$dovecot" -F -c "$conf_dir/dovecot.conf"
