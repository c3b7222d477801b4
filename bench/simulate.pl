#!/usr/bin/perl
# bench/simulate.pl: customers drawn from a BG/NBD or Pareto/NBD model, as
# the per-customer summaries custseg.summarize would give (times in whole
# days), for parameter recovery checks and the CLV benchmark.
#
#   bench/simulate.pl [--model bgnbd|paretonbd] [--customers N]
#       [--params r,alpha,a,b | r,alpha,s,beta] [--spend p,q,gamma]
#       [--cohort-days D] [--days E] [--seed S]
#
# Each customer makes a first purchase on a day drawn uniformly from the
# cohort period [0, D); the history ends on day E (the as-of day), so
# t = E - first day.  While alive the customer buys at rate
# lambda ~ Gamma(r, alpha) per day (alpha is a rate parameter, in days):
#   bgnbd:     after each repeat purchase the customer drops out with
#              probability p ~ Beta(a, b);
#   paretonbd: the customer drops out after a lifetime ~ Exp(mu),
#              mu ~ Gamma(s, beta).
# The first purchase opens its day (time 0); t_x is the time of the last
# purchase rounded to whole days (unbiased), x counts every repeat purchase.
# (Counting purchase days instead, as custseg.summarize does, would drop
# the purchases that fall on one day: a small bias, not sampling error,
# that a recovery check of a million customers would show.)  Each purchase is worth
# Gamma(p, nu) with nu ~ Gamma(q, gamma) per customer (Gamma-Gamma); the
# mean of the repeat purchases is mean_spend (0 when x = 0).
#
# Output: tab-separated id, x, t_x, t, mean_spend, for COPY ... FROM STDIN.
# The defaults are the CDNOW estimates converted to days.
use strict;
use warnings;
use Getopt::Long;

my $model = 'bgnbd';
my $customers = 1000000;
my $params;
my $spend = '6.25,3.74,15.44';
my $cohort_days = 84;
my $days = 273;
my $seed = 20261122;
GetOptions('model=s' => \$model, 'customers=i' => \$customers,
		   'params=s' => \$params, 'spend=s' => \$spend,
		   'cohort-days=i' => \$cohort_days, 'days=i' => \$days,
		   'seed=i' => \$seed)
  or die "usage: bench/simulate.pl [--model bgnbd|paretonbd] [--customers N] [--params ...]\n";
die "bench/simulate.pl: --model must be bgnbd or paretonbd\n"
  unless $model eq 'bgnbd' || $model eq 'paretonbd';
die "bench/simulate.pl: --days must be greater than --cohort-days\n"
  unless $days > $cohort_days && $cohort_days > 0;
$params //= $model eq 'bgnbd' ? '0.243,30.898,0.793,2.426' : '0.553,74.046,0.606,81.683';
my @par = split /,/, $params;
my @gg = split /,/, $spend;
die "bench/simulate.pl: --params needs 4 positive numbers\n"
  unless @par == 4 && !grep { !($_ > 0) } @par;
die "bench/simulate.pl: --spend needs 3 positive numbers\n"
  unless @gg == 3 && !grep { !($_ > 0) } @gg;
srand($seed);

use constant PI => 3.14159265358979;

sub normal {
	my $u = 1 - rand();
	return sqrt(-2 * log($u)) * cos(2 * PI * rand());
}

# Gamma(shape, rate): Marsaglia & Tsang, with the boost for shape < 1.
sub gamma {
	my ($shape, $rate) = @_;
	if ($shape < 1) {
		return gamma($shape + 1, $rate) * (1 - rand()) ** (1 / $shape);
	}
	my $d = $shape - 1 / 3;
	my $c = 1 / sqrt(9 * $d);
	while (1) {
		my ($x, $v);
		do {
			$x = normal();
			$v = 1 + $c * $x;
		} while ($v <= 0);
		$v = $v * $v * $v;
		my $u = 1 - rand();
		return $d * $v / $rate
		  if log($u) < 0.5 * $x * $x + $d - $d * $v + $d * log($v);
	}
}

sub beta {
	my ($a, $b) = @_;
	my $x = gamma($a, 1);
	return $x / ($x + gamma($b, 1));
}

local $| = 0;
for my $id (1 .. $customers) {
	my $first = int(rand($cohort_days));
	my $t = $days - $first;
	my $lambda = gamma($par[0], $par[1]);
	my ($p, $death);
	if ($model eq 'bgnbd') {
		$p = beta($par[2], $par[3]);
	} else {
		$death = -log(1 - rand()) / gamma($par[2], $par[3]);
	}
	my ($x, $last, $s) = (0, 0, 0);
	while (1) {
		$s += -log(1 - rand()) / $lambda;
		last if $s >= $t;
		last if defined $death && $s >= $death;
		$x++;
		$last = $s;
		last if defined $p && rand() < $p;
	}
	my $mean_spend = 0;
	if ($x > 0) {
		my $nu = gamma($gg[1], $gg[2]);
		$mean_spend = gamma($gg[0] * $x, $nu * $x);
	}
	printf "%d\t%d\t%d\t%d\t%.2f\n", $id, $x, int($last + 0.5), $t, $mean_spend;
}
