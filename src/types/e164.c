/*-------------------------------------------------------------------------
 *
 * e164.c
 *	  Parse, validate and format ITU-T E.164 telephone numbers.
 *
 * Input is a byte string with an explicit length; it need not be
 * NUL-terminated and is never read beyond that length.  A number is digits
 * separated by spaces, "-", "." and at most one level of parentheses, with
 * white space allowed around it.  It is international when it starts with
 * "+" or with the international prefix "00"; otherwise it is national and
 * is accepted only when the caller supplies a default country code.  For a
 * national number the country's trunk prefix ("0" in most countries,
 * including China) is dropped before the country code is prepended.
 *
 * Validation is layered.  Every number must begin with an assigned country
 * calling code from the ITU-T E.164 list (e164_countries below) and have a
 * national significant number whose length is in the range the country
 * allows: by default 8 to 15 digits in all, and exactly 10 national digits
 * for +1 and +7.  Numbers under +86 must also follow the Chinese numbering
 * plan: mobile numbers, fixed lines under an assigned area code
 * (china_area_codes below) and 400/800 service numbers.  The tables record
 * assignments as of 2025; ITU spare codes and Chinese area codes that were
 * merged away are rejected.
 *
 * The value of a number is its digits, country code first, read as one
 * decimal integer.  It has no leading zero, because no country code starts
 * with 0, so it decodes losslessly: the digits of the value are split by
 * prefix matching, which is unambiguous because country codes are
 * prefix-free (the unit test checks this property of the table).
 *
 * Layer: pure computation: plain C, no PostgreSQL header, unit-tested and
 * fuzzed.  Calls nothing of the extension.
 *
 * Copyright (c) 2026, bankcrm developers
 *
 * IDENTIFICATION
 *	  src/types/e164.c
 *
 *-------------------------------------------------------------------------
 */
#include "e164.h"

#include <limits.h>
#include <string.h>

/* digits kept while scanning: enough to decide every status */
#define E164_SCAN_DIGITS	24

/* a country's entry: code and, where it departs from the default, lengths */
typedef struct E164Country
{
	uint16_t	cc;
	uint8_t		min_national;	/* 0: E164_DEFAULT_MIN_DIGITS in all */
	uint8_t		max_national;	/* 0: E164_MAX_DIGITS in all */
} E164Country;

/* a national trunk prefix other than the default "0" */
typedef struct E164Trunk
{
	uint16_t	cc;
	const char *prefix;			/* "" when the country has none */
} E164Trunk;

#define CC(code)				{(code), 0, 0}
#define CCLEN(code, lo, hi)		{(code), (lo), (hi)}

/*
 * Assigned country calling codes (ITU-T E.164 list, geographic areas,
 * global services and networks), in ascending order for binary search.
 * Spare codes are absent; so are 388 (the discontinued European Telephony
 * Numbering Space), 991 (a closed trial) and the Inmarsat ocean-region
 * codes 871-874 withdrawn in 2008.
 */
static const E164Country e164_countries[] = {
	CCLEN(1, 10, 10),			/* North American Numbering Plan */
	CCLEN(7, 10, 10),			/* Russia, Kazakhstan */
	CC(20),						/* Egypt */
	CC(27),						/* South Africa */
	CC(30),						/* Greece */
	CC(31),						/* Netherlands */
	CC(32),						/* Belgium */
	CC(33),						/* France */
	CC(34),						/* Spain */
	CC(36),						/* Hungary */
	CC(39),						/* Italy, Vatican City */
	CC(40),						/* Romania */
	CC(41),						/* Switzerland */
	CC(43),						/* Austria */
	CC(44),						/* United Kingdom */
	CC(45),						/* Denmark */
	CC(46),						/* Sweden */
	CC(47),						/* Norway */
	CC(48),						/* Poland */
	CC(49),						/* Germany */
	CC(51),						/* Peru */
	CC(52),						/* Mexico */
	CC(53),						/* Cuba */
	CC(54),						/* Argentina */
	CC(55),						/* Brazil */
	CC(56),						/* Chile */
	CC(57),						/* Colombia */
	CC(58),						/* Venezuela */
	CC(60),						/* Malaysia */
	CC(61),						/* Australia */
	CC(62),						/* Indonesia */
	CC(63),						/* Philippines */
	CC(64),						/* New Zealand */
	CC(65),						/* Singapore */
	CC(66),						/* Thailand */
	CC(81),						/* Japan */
	CC(82),						/* Korea (Republic of) */
	CC(84),						/* Viet Nam */
	CCLEN(86, 10, 11),			/* China */
	CC(90),						/* Turkiye */
	CC(91),						/* India */
	CC(92),						/* Pakistan */
	CC(93),						/* Afghanistan */
	CC(94),						/* Sri Lanka */
	CC(95),						/* Myanmar */
	CC(98),						/* Iran */
	CC(211),					/* South Sudan */
	CC(212),					/* Morocco */
	CC(213),					/* Algeria */
	CC(216),					/* Tunisia */
	CC(218),					/* Libya */
	CC(220),					/* Gambia */
	CC(221),					/* Senegal */
	CC(222),					/* Mauritania */
	CC(223),					/* Mali */
	CC(224),					/* Guinea */
	CC(225),					/* Cote d'Ivoire */
	CC(226),					/* Burkina Faso */
	CC(227),					/* Niger */
	CC(228),					/* Togo */
	CC(229),					/* Benin */
	CC(230),					/* Mauritius */
	CC(231),					/* Liberia */
	CC(232),					/* Sierra Leone */
	CC(233),					/* Ghana */
	CC(234),					/* Nigeria */
	CC(235),					/* Chad */
	CC(236),					/* Central African Republic */
	CC(237),					/* Cameroon */
	CC(238),					/* Cabo Verde */
	CC(239),					/* Sao Tome and Principe */
	CC(240),					/* Equatorial Guinea */
	CC(241),					/* Gabon */
	CC(242),					/* Congo */
	CC(243),					/* Democratic Republic of the Congo */
	CC(244),					/* Angola */
	CC(245),					/* Guinea-Bissau */
	CC(246),					/* Diego Garcia */
	CC(247),					/* Ascension */
	CC(248),					/* Seychelles */
	CC(249),					/* Sudan */
	CC(250),					/* Rwanda */
	CC(251),					/* Ethiopia */
	CC(252),					/* Somalia */
	CC(253),					/* Djibouti */
	CC(254),					/* Kenya */
	CC(255),					/* Tanzania */
	CC(256),					/* Uganda */
	CC(257),					/* Burundi */
	CC(258),					/* Mozambique */
	CC(260),					/* Zambia */
	CC(261),					/* Madagascar */
	CC(262),					/* Reunion, Mayotte */
	CC(263),					/* Zimbabwe */
	CC(264),					/* Namibia */
	CC(265),					/* Malawi */
	CC(266),					/* Lesotho */
	CC(267),					/* Botswana */
	CC(268),					/* Eswatini */
	CC(269),					/* Comoros */
	CC(290),					/* Saint Helena, Tristan da Cunha */
	CC(291),					/* Eritrea */
	CC(297),					/* Aruba */
	CC(298),					/* Faroe Islands */
	CC(299),					/* Greenland */
	CC(350),					/* Gibraltar */
	CC(351),					/* Portugal */
	CC(352),					/* Luxembourg */
	CC(353),					/* Ireland */
	CC(354),					/* Iceland */
	CC(355),					/* Albania */
	CC(356),					/* Malta */
	CC(357),					/* Cyprus */
	CC(358),					/* Finland */
	CC(359),					/* Bulgaria */
	CC(370),					/* Lithuania */
	CC(371),					/* Latvia */
	CC(372),					/* Estonia */
	CC(373),					/* Moldova */
	CC(374),					/* Armenia */
	CC(375),					/* Belarus */
	CC(376),					/* Andorra */
	CC(377),					/* Monaco */
	CC(378),					/* San Marino */
	CC(379),					/* Vatican City (reserved) */
	CC(380),					/* Ukraine */
	CC(381),					/* Serbia */
	CC(382),					/* Montenegro */
	CC(383),					/* Kosovo */
	CC(385),					/* Croatia */
	CC(386),					/* Slovenia */
	CC(387),					/* Bosnia and Herzegovina */
	CC(389),					/* North Macedonia */
	CC(420),					/* Czechia */
	CC(421),					/* Slovakia */
	CC(423),					/* Liechtenstein */
	CC(500),					/* Falkland Islands */
	CC(501),					/* Belize */
	CC(502),					/* Guatemala */
	CC(503),					/* El Salvador */
	CC(504),					/* Honduras */
	CC(505),					/* Nicaragua */
	CC(506),					/* Costa Rica */
	CC(507),					/* Panama */
	CC(508),					/* Saint Pierre and Miquelon */
	CC(509),					/* Haiti */
	CC(590),					/* Guadeloupe, Saint Martin, Saint Barthelemy */
	CC(591),					/* Bolivia */
	CC(592),					/* Guyana */
	CC(593),					/* Ecuador */
	CC(594),					/* French Guiana */
	CC(595),					/* Paraguay */
	CC(596),					/* Martinique */
	CC(597),					/* Suriname */
	CC(598),					/* Uruguay */
	CC(599),					/* Curacao, Caribbean Netherlands */
	CC(670),					/* Timor-Leste */
	CC(672),					/* Australian External Territories */
	CC(673),					/* Brunei Darussalam */
	CC(674),					/* Nauru */
	CC(675),					/* Papua New Guinea */
	CC(676),					/* Tonga */
	CC(677),					/* Solomon Islands */
	CC(678),					/* Vanuatu */
	CC(679),					/* Fiji */
	CC(680),					/* Palau */
	CC(681),					/* Wallis and Futuna */
	CC(682),					/* Cook Islands */
	CCLEN(683, 4, 0),			/* Niue: 4-digit fixed lines */
	CC(685),					/* Samoa */
	CC(686),					/* Kiribati */
	CC(687),					/* New Caledonia */
	CC(688),					/* Tuvalu */
	CC(689),					/* French Polynesia */
	CCLEN(690, 4, 0),			/* Tokelau: 4-digit fixed lines */
	CC(691),					/* Micronesia */
	CC(692),					/* Marshall Islands */
	CC(800),					/* International Freephone Service */
	CC(808),					/* International Shared Cost Service */
	CC(850),					/* Democratic People's Republic of Korea */
	CC(852),					/* Hong Kong, China */
	CC(853),					/* Macao, China */
	CC(855),					/* Cambodia */
	CC(856),					/* Lao People's Democratic Republic */
	CC(870),					/* Inmarsat SNAC */
	CC(878),					/* Universal Personal Telecommunication */
	CC(880),					/* Bangladesh */
	CC(881),					/* Global Mobile Satellite System */
	CC(882),					/* International Networks */
	CC(883),					/* International Networks */
	CC(886),					/* Taiwan, China */
	CC(888),					/* Telecommunications for Disaster Relief */
	CC(960),					/* Maldives */
	CC(961),					/* Lebanon */
	CC(962),					/* Jordan */
	CC(963),					/* Syrian Arab Republic */
	CC(964),					/* Iraq */
	CC(965),					/* Kuwait */
	CC(966),					/* Saudi Arabia */
	CC(967),					/* Yemen */
	CC(968),					/* Oman */
	CC(970),					/* Palestine */
	CC(971),					/* United Arab Emirates */
	CC(972),					/* Israel */
	CC(973),					/* Bahrain */
	CC(974),					/* Qatar */
	CC(975),					/* Bhutan */
	CC(976),					/* Mongolia */
	CC(977),					/* Nepal */
	CC(979),					/* International Premium Rate Service */
	CC(992),					/* Tajikistan */
	CC(993),					/* Turkmenistan */
	CC(994),					/* Azerbaijan */
	CC(995),					/* Georgia */
	CC(996),					/* Kyrgyzstan */
	CC(998)						/* Uzbekistan */
};

#define E164_NCOUNTRIES (sizeof(e164_countries) / sizeof(e164_countries[0]))

/*
 * Trunk prefixes other than "0", dropped from national input before the
 * country code is prepended.  Italy, San Marino and the Vatican have none:
 * their leading 0 belongs to the number.  A country may list two prefixes.
 */
static const E164Trunk e164_trunks[] = {
	{1, "1"},					/* 1 212 555 0100 */
	{7, "8"},					/* 8 912 345-67-89 */
	{36, "06"},					/* 06 1 234 5678 */
	{39, ""},
	{370, "8"},
	{370, "0"},
	{375, "80"},				/* 80 29 123-45-67 */
	{378, ""},
	{379, ""}
};

#define E164_NTRUNKS (sizeof(e164_trunks) / sizeof(e164_trunks[0]))

/*
 * Chinese three-digit area codes (written 0xxx nationally), ascending.
 * The two-digit codes 10 and 20-25, 27-29 are tested in code.  0732 and
 * 0733 (merged into 0731) and 0899 (merged into 0898) are gone.
 */
static const uint16_t china_area_codes[] = {
	/* Hebei */
	310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 335,
	/* Shanxi */
	349, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359,
	/* Henan */
	370, 371, 372, 373, 374, 375, 376, 377, 378, 379,
	391, 392, 393, 394, 395, 396, 398,
	/* Liaoning */
	410, 411, 412, 413, 414, 415, 416, 417, 418, 419, 421, 427, 429,
	/* Jilin */
	431, 432, 433, 434, 435, 436, 437, 438, 439,
	/* Heilongjiang */
	451, 452, 453, 454, 455, 456, 457, 458, 459, 464, 467, 468, 469,
	/* Inner Mongolia */
	470, 471, 472, 473, 474, 475, 476, 477, 478, 479, 482, 483,
	/* Jiangsu */
	510, 511, 512, 513, 514, 515, 516, 517, 518, 519, 523, 527,
	/* Shandong */
	530, 531, 532, 533, 534, 535, 536, 537, 538, 539, 543, 546,
	/* Anhui */
	550, 551, 552, 553, 554, 555, 556, 557, 558, 559,
	561, 562, 563, 564, 565, 566,
	/* Zhejiang */
	570, 571, 572, 573, 574, 575, 576, 577, 578, 579, 580,
	/* Fujian */
	591, 592, 593, 594, 595, 596, 597, 598, 599,
	/* Shandong */
	631, 632, 633, 634, 635,
	/* Guangdong */
	660, 662, 663, 668,
	/* Yunnan */
	691, 692,
	/* Jiangxi */
	701,
	/* Hubei */
	710, 711, 712, 713, 714, 715, 716, 717, 718, 719, 722, 724, 728,
	/* Hunan */
	730, 731, 734, 735, 736, 737, 738, 739, 743, 744, 745, 746,
	/* Guangdong */
	750, 751, 752, 753, 754, 755, 756, 757, 758, 759,
	760, 762, 763, 766, 768, 769,
	/* Guangxi */
	770, 771, 772, 773, 774, 775, 776, 777, 778, 779,
	/* Jiangxi */
	790, 791, 792, 793, 794, 795, 796, 797, 798, 799,
	/* Sichuan */
	812, 813, 816, 817, 818, 825, 826, 827,
	830, 831, 832, 833, 834, 835, 836, 837, 838, 839,
	/* Guizhou */
	851, 852, 853, 854, 855, 856, 857, 858, 859,
	/* Yunnan */
	870, 871, 872, 873, 874, 875, 876, 877, 878, 879, 883, 886, 887, 888,
	/* Tibet */
	891, 892, 893, 894, 895, 896, 897,
	/* Hainan */
	898,
	/* Xinjiang */
	901, 902, 903, 906, 908, 909,
	/* Shaanxi */
	911, 912, 913, 914, 915, 916, 917, 919,
	/* Gansu */
	930, 931, 932, 933, 934, 935, 936, 937, 938, 939, 941, 943,
	/* Ningxia */
	951, 952, 953, 954, 955,
	/* Qinghai */
	970, 971, 972, 973, 974, 975, 976, 977, 979,
	/* Xinjiang */
	990, 991, 992, 993, 994, 995, 996, 997, 998, 999
};

#define CHINA_NAREAS (sizeof(china_area_codes) / sizeof(china_area_codes[0]))

static bool is_space(char c);
static const E164Country *find_country(int cc);
static int	digits_value(const char *digits, int n);
static int	match_country_code(const char *digits, size_t n, int *cc);
static bool fail(E164Result *result, E164Status status, size_t offset);
static void national_range(const E164Country *c, int *min_national,
						   int *max_national);
static bool check_national(int cc, const char *nsn, size_t n,
						   E164Result *result);
static bool check_international(const char *digits, size_t n,
								E164Result *result);
static size_t value_digits(uint64_t value, char *digits);
static size_t put_groups(char *out, const char *nsn, const int *groups,
						 int ngroups);

/*
 * is_space
 *		White space allowed around a number: space, \t, \n, \v, \f, \r.
 *		Not isspace(), whose answer depends on the locale.
 */
static bool
is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/*
 * find_country
 *		The table entry of an assigned country code, or NULL.
 */
static const E164Country *
find_country(int cc)
{
	size_t		lo = 0;
	size_t		hi = E164_NCOUNTRIES;

	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (e164_countries[mid].cc == cc)
			return &e164_countries[mid];
		if (e164_countries[mid].cc < cc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/*
 * digits_value
 *		The integer value of n (at most 9) ASCII digits.
 */
static int
digits_value(const char *digits, int n)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
		v = v * 10 + (digits[i] - '0');
	return v;
}

/*
 * match_country_code
 *		Length (1 to 3) of the assigned country code that starts digits, or
 *		0 if none does; sets *cc.  Codes are prefix-free, so the shortest
 *		match is the only one.
 */
static int
match_country_code(const char *digits, size_t n, int *cc)
{
	int			len;

	for (len = 1; len <= 3 && (size_t) len <= n; len++)
	{
		int			code = digits_value(digits, len);

		if (find_country(code) != NULL)
		{
			*cc = code;
			return len;
		}
	}
	return 0;
}

/*
 * fail
 *		Record a failure status and the offending byte offset.
 */
static bool
fail(E164Result *result, E164Status status, size_t offset)
{
	result->status = status;
	result->offset = offset;
	return false;
}

/*
 * national_range
 *		The range of national significant number lengths for a country.
 */
static void
national_range(const E164Country *c, int *min_national, int *max_national)
{
	int			cclen = c->cc >= 100 ? 3 : c->cc >= 10 ? 2 : 1;

	*min_national = c->min_national ? c->min_national
		: E164_DEFAULT_MIN_DIGITS - cclen;
	*max_national = c->max_national ? c->max_national
		: E164_MAX_DIGITS - cclen;
}

/*
 * check_national
 *		Validate a national significant number under an assigned country
 *		code and, if it is valid, compute the value.  nsn holds the first
 *		min(n, E164_SCAN_DIGITS) digits; n is the true count.
 */
static bool
check_national(int cc, const char *nsn, size_t n, E164Result *result)
{
	const E164Country *c = find_country(cc);
	uint64_t	value;
	size_t		i;

	if (c == NULL)
	{
		result->country_code = cc;
		return fail(result, E164_UNKNOWN_COUNTRY_CODE, 0);
	}

	result->country_code = cc;
	result->national_digits = n > INT_MAX ? INT_MAX : (int) n;
	national_range(c, &result->min_national, &result->max_national);

	/* "+86 010 ..." is common enough to deserve its own explanation */
	if (cc == 86 && n > 0 && nsn[0] == '0')
	{
		size_t		keep = n > E164_MAX_DIGITS ? E164_MAX_DIGITS : n;

		memcpy(result->national, nsn, keep);
		result->national[keep] = '\0';
		return fail(result, E164_CN_TRUNK_PREFIX, 0);
	}

	if (n < (size_t) result->min_national)
		return fail(result, E164_TOO_FEW_DIGITS, 0);
	if (n > (size_t) result->max_national)
		return fail(result, E164_TOO_MANY_DIGITS, 0);

	/* from here n <= 14, so the number fits the buffers and the value */
	memcpy(result->national, nsn, n);
	result->national[n] = '\0';

	if (cc == 86 && E164ChinaClassify(nsn, (int) n, NULL) == E164_CN_NONE)
		return fail(result, E164_CN_INVALID, 0);

	value = (uint64_t) cc;
	for (i = 0; i < n; i++)
		value = value * 10 + (uint64_t) (nsn[i] - '0');

	result->value = value;
	result->status = E164_OK;
	return true;
}

/*
 * check_international
 *		Validate digits that start with the country code.
 */
static bool
check_international(const char *digits, size_t n, E164Result *result)
{
	int			cc = 0;
	int			cclen;

	if (n == 0)
		return fail(result, E164_EMPTY, 0);
	if (digits[0] == '0')
		return fail(result, E164_ZERO_COUNTRY_CODE, 0);

	cclen = match_country_code(digits, n, &cc);
	if (cclen == 0)
	{
		result->country_code = digits_value(digits, n < 3 ? (int) n : 3);
		return fail(result, E164_UNKNOWN_COUNTRY_CODE, 0);
	}
	return check_national(cc, digits + cclen, n - (size_t) cclen, result);
}

/*
 * E164Parse
 *		Parse len bytes of str as a telephone number.
 *
 * With default_cc <= 0 only international forms are accepted ("+86 ...",
 * "0086 ..."): this is the mode of the type's input function.  With an
 * assigned default_cc a number without "+" or "00" is national: its trunk
 * prefix is dropped and default_cc prepended.  Returns true and sets
 * result->value on success; otherwise false with result->status saying why.
 */
bool
E164Parse(const char *str, size_t len, int default_cc, E164Result *result)
{
	char		digits[E164_SCAN_DIGITS];
	size_t		ndigits = 0;
	size_t		start = 0;
	size_t		end = len;
	size_t		open_at = 0;
	size_t		i;
	bool		plus = false;
	bool		open = false;

	memset(result, 0, sizeof(*result));

	/* white space around the number is ignored */
	while (start < end && is_space(str[start]))
		start++;
	while (end > start && is_space(str[end - 1]))
		end--;

	for (i = start; i < end; i++)
	{
		char		c = str[i];

		if (c >= '0' && c <= '9')
		{
			if (ndigits < E164_SCAN_DIGITS)
				digits[ndigits] = c;
			ndigits++;
		}
		else if (c == '+')
		{
			if (plus || ndigits > 0)
				return fail(result, E164_MISPLACED_PLUS, i);
			plus = true;
		}
		else if (c == '(')
		{
			if (open)
				return fail(result, E164_UNBALANCED_PARENTHESES, i);
			open = true;
			open_at = i;
		}
		else if (c == ')')
		{
			if (!open)
				return fail(result, E164_UNBALANCED_PARENTHESES, i);
			open = false;
		}
		else if (c != ' ' && c != '-' && c != '.')
			return fail(result, E164_BAD_CHARACTER, i);
	}
	if (open)
		return fail(result, E164_UNBALANCED_PARENTHESES, open_at);
	if (ndigits == 0)
		return fail(result, E164_EMPTY, 0);

	if (plus)
		return check_international(digits, ndigits, result);
	if (ndigits >= 2 && digits[0] == '0' && digits[1] == '0')
		return check_international(digits + 2, ndigits - 2, result);
	if (default_cc <= 0)
		return fail(result, E164_NATIONAL_FORM, 0);
	else
	{
		const E164Country *c = find_country(default_cc);
		const char *nsn = digits;
		size_t		n = ndigits;
		int			min_national;
		int			max_national;
		bool		listed = false;

		if (c == NULL)
		{
			result->country_code = default_cc;
			return fail(result, E164_UNKNOWN_COUNTRY_CODE, 0);
		}
		national_range(c, &min_national, &max_national);

		/*
		 * Drop the first trunk prefix that the number starts with.  A prefix
		 * that does not start with 0 ("1" for +1, "8" for +7) can also be
		 * the first digit of a national number, so it is dropped only when
		 * enough digits remain.
		 */
		for (i = 0; i < E164_NTRUNKS; i++)
		{
			if (e164_trunks[i].cc != default_cc)
				continue;
			listed = true;
			if (*e164_trunks[i].prefix != '\0')
			{
				size_t		plen = strlen(e164_trunks[i].prefix);

				if (n > plen &&
					(e164_trunks[i].prefix[0] == '0' ||
					 n - plen >= (size_t) min_national) &&
					memcmp(nsn, e164_trunks[i].prefix, plen) == 0)
				{
					nsn += plen;
					n -= plen;
					break;
				}
			}
		}
		if (!listed && n > 1 && nsn[0] == '0')
		{
			nsn++;
			n--;
		}
		return check_national(default_cc, nsn, n, result);
	}
}

/*
 * value_digits
 *		Write the decimal digits of value (no terminator); return the count.
 *		digits must have room for 20.
 */
static size_t
value_digits(uint64_t value, char *digits)
{
	char		tmp[20];
	size_t		n = 0;
	size_t		i;

	do
	{
		tmp[n++] = (char) ('0' + value % 10);
		value /= 10;
	} while (value != 0);
	for (i = 0; i < n; i++)
		digits[i] = tmp[n - 1 - i];
	return n;
}

/*
 * E164Validate
 *		Check that value is the value of a valid number, exactly as
 *		E164Parse would check "+" followed by its digits.  For the binary
 *		receive function, which must not trust the wire.
 */
bool
E164Validate(uint64_t value, E164Result *result)
{
	char		digits[E164_SCAN_DIGITS];
	size_t		n;

	memset(result, 0, sizeof(*result));
	if (value == 0)
		return fail(result, E164_ZERO_COUNTRY_CODE, 0);
	n = value_digits(value, digits);
	return check_international(digits, n, result);
}

/*
 * E164CountryCode
 *		Country code of a valid value, or 0 when no assigned code prefixes it.
 */
int
E164CountryCode(uint64_t value)
{
	char		digits[E164_SCAN_DIGITS];
	size_t		n;
	int			cc = 0;

	if (value == 0 || value > E164_MAX_VALUE)
		return 0;
	n = value_digits(value, digits);
	if (match_country_code(digits, n, &cc) == 0)
		return 0;
	return cc;
}

/*
 * E164IsCountryCode
 *		Is cc an assigned country calling code?
 */
bool
E164IsCountryCode(int cc)
{
	return cc > 0 && cc < 1000 && find_country(cc) != NULL;
}

/*
 * E164CountryCount, E164CountryAt
 *		Enumerate the assigned country codes in ascending order.
 */
size_t
E164CountryCount(void)
{
	return E164_NCOUNTRIES;
}

int
E164CountryAt(size_t i)
{
	return i < E164_NCOUNTRIES ? (int) e164_countries[i].cc : 0;
}

/*
 * E164IsChinaAreaCode
 *		Is area (without the trunk 0) an assigned Chinese area code?
 */
bool
E164IsChinaAreaCode(int area)
{
	size_t		lo = 0;
	size_t		hi = CHINA_NAREAS;

	if (area == 10 || (area >= 20 && area <= 29 && area != 26))
		return true;
	while (lo < hi)
	{
		size_t		mid = lo + (hi - lo) / 2;

		if (china_area_codes[mid] == area)
			return true;
		if (china_area_codes[mid] < area)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/*
 * E164ChinaClassify
 *		Classify a Chinese national significant number of len digits.
 *
 * Mobile: 11 digits, 1[3-9]xxxxxxxxx.  Fixed line: a two-digit area code
 * (10, 20-25, 27-29) and an 8-digit subscriber number, or a three-digit
 * area code and a 7- or 8-digit subscriber number; subscriber numbers never
 * start with 0 or 1.  Service: 400 or 800 and 7 more digits.  For a fixed
 * line *area_len (if not NULL) is set to the area code's length.
 */
E164ChinaKind
E164ChinaClassify(const char *nsn, int len, int *area_len)
{
	int			i;

	if (area_len)
		*area_len = 0;
	if (len < 10 || len > 11)
		return E164_CN_NONE;
	for (i = 0; i < len; i++)
		if (nsn[i] < '0' || nsn[i] > '9')
			return E164_CN_NONE;

	if (nsn[0] == '1' && nsn[1] >= '3')
		return len == 11 ? E164_CN_MOBILE : E164_CN_NONE;
	if (len == 10 && (memcmp(nsn, "400", 3) == 0 || memcmp(nsn, "800", 3) == 0))
		return E164_CN_SERVICE;
	if (nsn[0] == '1' || nsn[0] == '2')
	{
		/* two-digit area code, 8-digit subscriber */
		if (len == 10 && E164IsChinaAreaCode(digits_value(nsn, 2)) &&
			nsn[2] >= '2')
		{
			if (area_len)
				*area_len = 2;
			return E164_CN_FIXED;
		}
		return E164_CN_NONE;
	}
	if (nsn[0] >= '3' && E164IsChinaAreaCode(digits_value(nsn, 3)) &&
		nsn[3] >= '2')
	{
		if (area_len)
			*area_len = 3;
		return E164_CN_FIXED;
	}
	return E164_CN_NONE;
}

/*
 * put_groups
 *		Write nsn split into groups of the given lengths, each preceded by a
 *		space.  The lengths add up to the length of nsn.
 */
static size_t
put_groups(char *out, const char *nsn, const int *groups, int ngroups)
{
	size_t		o = 0;
	int			g;

	for (g = 0; g < ngroups; g++)
	{
		out[o++] = ' ';
		memcpy(out + o, nsn, (size_t) groups[g]);
		o += (size_t) groups[g];
		nsn += groups[g];
	}
	return o;
}

/*
 * E164Format
 *		Write value in the given style to buf as a NUL-terminated string and
 *		return its length, or 0 if value is not a valid number's value or
 *		buf is too small (E164_BUFSIZE is always enough).
 *
 * READABLE groups the national number: Chinese numbers by their structure
 * (135 2295 6919, 10 5124 6210, 571 876 5432, 400 123 4567), 10-digit +1
 * and +7 numbers as 3-3-4, all others in blocks of four from the right.
 * MASKED shows the country code, the first 3 and the last 4 national digits
 * of numbers with 11 or more national digits; shorter national numbers have
 * at least half their digits (rounded up) masked and show the first digit
 * and the rest of the unmasked digits at the end.
 */
size_t
E164Format(uint64_t value, E164Style style, char *buf, size_t size)
{
	char		digits[E164_SCAN_DIGITS];
	char		out[E164_BUFSIZE];
	const char *nsn;
	size_t		n;
	size_t		o = 0;
	int			cc = 0;
	int			cclen;
	int			nlen;

	if (value == 0 || value > E164_MAX_VALUE)
		return 0;
	n = value_digits(value, digits);
	cclen = match_country_code(digits, n, &cc);
	if (cclen == 0 || (size_t) cclen >= n)
		return 0;
	nsn = digits + cclen;
	nlen = (int) n - cclen;

	switch (style)
	{
		case E164_STYLE_CANONICAL:
			out[o++] = '+';
			memcpy(out + o, digits, n);
			o += n;
			break;

		case E164_STYLE_NATIONAL:
			memcpy(out, nsn, (size_t) nlen);
			o = (size_t) nlen;
			break;

		case E164_STYLE_READABLE:
			{
				int			groups[8];
				int			ngroups = 0;
				int			area_len = 0;
				E164ChinaKind kind = E164_CN_NONE;

				out[o++] = '+';
				memcpy(out + o, digits, (size_t) cclen);
				o += (size_t) cclen;

				if (cc == 86)
					kind = E164ChinaClassify(nsn, nlen, &area_len);
				if (kind == E164_CN_MOBILE ||
					(kind == E164_CN_FIXED && nlen - area_len == 8))
				{
					groups[ngroups++] = nlen - 8;
					groups[ngroups++] = 4;
					groups[ngroups++] = 4;
				}
				else if (kind != E164_CN_NONE ||
						 ((cc == 1 || cc == 7) && nlen == 10))
				{
					/* 400/800, 3-digit area + 7 digits, +1, +7 */
					groups[ngroups++] = 3;
					groups[ngroups++] = nlen - 7;
					groups[ngroups++] = 4;
				}
				else
				{
					int			first = nlen % 4 ? nlen % 4 : 4;
					int			rest;

					groups[ngroups++] = first;
					for (rest = nlen - first; rest > 0; rest -= 4)
						groups[ngroups++] = 4;
				}
				o += put_groups(out + o, nsn, groups, ngroups);
				break;
			}

		case E164_STYLE_MASKED:
			{
				int			masked;
				int			head;
				int			tail;
				int			i;

				if (nlen >= 11)
				{
					head = 3;
					tail = 4;
					masked = nlen - 7;
				}
				else
				{
					int			shown;

					masked = (nlen + 1) / 2;
					shown = nlen - masked;
					head = shown >= 2 ? 1 : 0;
					tail = shown - head;
				}
				out[o++] = '+';
				memcpy(out + o, digits, (size_t) cclen);
				o += (size_t) cclen;
				out[o++] = ' ';
				memcpy(out + o, nsn, (size_t) head);
				o += (size_t) head;
				for (i = 0; i < masked; i++)
					out[o++] = '*';
				memcpy(out + o, nsn + nlen - tail, (size_t) tail);
				o += (size_t) tail;
				break;
			}

		default:
			return 0;
	}

	if (o + 1 > size)
		return 0;
	memcpy(buf, out, o);
	buf[o] = '\0';
	return o;
}
