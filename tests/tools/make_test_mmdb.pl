#!/usr/bin/perl
# Writes a tiny MaxMind DB in the GeoLite2-Country layout for the GeoIP
# tests (tests/unit/detect_ssh_new_network_test.cc), so they need no
# downloaded database: usage make_test_mmdb.pl OUT.mmdb
#
#   198.51.100.0/24  country DE
#   198.51.101.0/24  country DE (a second network of the same country)
#   203.0.113.0/24   registered_country US only (no country map)
#   2001:db8:1::/48  country FR
#   192.0.2.0/24     nothing (not in the database)
#
# Uses Debian's libmaxmind-db-writer-perl. The test networks are reserved
# (documentation) ranges, which the writer removes by default: hence
# remove_reserved_networks => 0.
use strict;
use warnings;

my $out = shift @ARGV or die "usage: $0 OUT.mmdb\n";
eval { require MaxMind::DB::Writer::Tree; 1 }
  or do { print STDERR "MaxMind::DB::Writer::Tree missing (apt install libmaxmind-db-writer-perl)\n"; exit 2 };

my %types = (
  country            => 'map',
  registered_country => 'map',
  iso_code           => 'utf8_string',
  geoname_id         => 'uint32',
  names              => 'map',
  en                 => 'utf8_string',
);

my $tree = MaxMind::DB::Writer::Tree->new(
  ip_version               => 6,
  record_size              => 24,
  database_type            => 'GeoLite2-Country',
  languages                => ['en'],
  description              => { en => 'pcapscope test database' },
  remove_reserved_networks => 0,
  map_key_type_callback    => sub { $types{ $_[0] } },
);

$tree->insert_network('198.51.100.0/24', { country => { iso_code => 'DE', geoname_id => 2921044, names => { en => 'Germany' } } });
$tree->insert_network('198.51.101.0/24', { country => { iso_code => 'DE', geoname_id => 2921044, names => { en => 'Germany' } } });
$tree->insert_network('203.0.113.0/24', { registered_country => { iso_code => 'US', geoname_id => 6252001 } });
$tree->insert_network('2001:db8:1::/48', { country => { iso_code => 'FR', geoname_id => 3017382 } });

open(my $fh, '>:raw', $out) or die "$out: $!\n";
$tree->write_tree($fh);
close($fh) or die "$out: $!\n";
