/* The lexicon file and what the reader does with it: a bad file is refused
 * with its line and reason; words are tokens, never substrings; informal
 * spelling and reduplication; negation, past and resolution scope;
 * questions and thanks; people at risk and medical determinants said
 * without the old keywords. */
#include <string.h>

#include "check.h"
#include "text/textscan.h"

#define LEXICON_PATH "../data/lexicon/triage.tsv"

static sg_textscan_result scan(const char *text) {
  sg_textscan_result r;
  sg_textscan_scan(NULL, text, strlen(text), &r);
  return r;
}

static void test_builtin_and_file_agree(void) {
  const sg_textscan_lexicon *b = sg_textscan_lexicon_builtin();
  CHECK(b != NULL);
  CHECK(sg_textscan_lexicon_size(b) > 700);
  sg_textscan_lexicon *f = NULL;
  int line = -1;
  const char *why = NULL;
  int rc = sg_textscan_lexicon_load(LEXICON_PATH, &f, &line, &why);
  if (rc != 0)
    CHECK_FAIL_("%s line %d: %s", LEXICON_PATH, line, why ? why : "?");
  CHECK_INT_EQ(sg_textscan_lexicon_size(f), sg_textscan_lexicon_size(b));
  sg_textscan_lexicon_destroy(f);
}

static void test_bad_files_refused(void) {
  static const struct {
    const char *text;
    int line;
    const char *why_has;
  } bad[] = {
      {"# ok\nword\tapi\tfire\t2\t-\tfire\nwrod\tx\tfire\t1\t-\t-\n", 3, "unknown kind"},
      {"word\tapi\tfire\t2\t-\n", 1, "6 tab-separated"},
      {"word\tapi\tvolcano\t2\t-\tfire\n", 1, "unknown category"},
      {"word\tapi\tfire\t9\t-\tfire\n", 1, "out of range"},
      {"word\tapi\tfire\tx\t-\tfire\n", 1, "out of range"},
      {"word\tapi\tfire\t2\ttrapped,nope\tfire\n", 1, "unknown cue"},
      {"word\tapi\t-\t0\t-\tfire\n", 1, "neutral"},
      {"spelling\tgw\tsaya kamu\t0\t-\t-\n", 1, "one word"},
      {"word\t...\tfire\t2\t-\tfire\n", 1, "phrase empty"},
      {"spelling\tga\ttidak\t0\t-\t-\nword\ttidak sadar\tmedical\t2\t-\t-\n"
       "word\tga sadar\tmedical\t2\t-\t-\n",
       3, "same phrase"},
  };
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    sg_textscan_lexicon *lex = (sg_textscan_lexicon *)1;
    int line = 0;
    const char *why = NULL;
    int rc = sg_textscan_lexicon_load_buffer(bad[k].text, strlen(bad[k].text), &lex, &line, &why);
    CHECK_INT_EQ(rc, SG_EFORMAT);
    CHECK(lex == NULL);
    CHECK_INT_EQ(line, bad[k].line);
    CHECK(why != NULL && strstr(why, bad[k].why_has) != NULL);
  }
  sg_textscan_lexicon *lex = NULL;
  CHECK_INT_EQ(sg_textscan_lexicon_load("/nonexistent/lexicon.tsv", &lex, NULL, NULL), SG_EIO);
}

static void test_own_lexicon(void) {
  /* a spelling row read before the rows that use it, wherever it stands */
  const char *text = "word\tkebakaran\tfire\t3\t-\tfire\nspelling\tkbkrn\tkebakaran\t0\t-\t-\n";
  sg_textscan_lexicon *lex = NULL;
  CHECK_INT_EQ(sg_textscan_lexicon_load_buffer(text, strlen(text), &lex, NULL, NULL), 0);
  sg_textscan_result r;
  sg_textscan_scan_with(lex, NULL, "ada kbkrn", 9, &r);
  CHECK_INT_EQ(r.category, SG_TEXTSCAN_FIRE);
  CHECK_STR_EQ(r.matches[0].typed, "kbkrn");
  CHECK_STR_EQ(r.matches[0].word, "kebakaran");
  sg_textscan_scan_with(lex, NULL, "ada banjir", 10, &r);
  CHECK_INT_EQ(r.category, SG_TEXTSCAN_UNKNOWN);
  sg_textscan_lexicon_destroy(lex);
}

static void test_tokens_not_substrings(void) {
  CHECK(scan("sapi tetangga lepas").category != SG_TEXTSCAN_FIRE);
  CHECK(scan("tapi tidak apa apa").category != SG_TEXTSCAN_FIRE);
  CHECK(scan("naik kereta api ke jakarta").category != SG_TEXTSCAN_FIRE);
  CHECK_INT_EQ(scan("percikan api dari kabel listrik").category, SG_TEXTSCAN_HAZARD);
  CHECK_INT_EQ(scan("ada api di dapur").category, SG_TEXTSCAN_FIRE);
  CHECK_INT_EQ(scan("rumah tbakar!!").category, SG_TEXTSCAN_FIRE);
}

static void test_spelling(void) {
  /* Banjar and Dayak Ngaju, slang, repeated letters, "2" reduplication */
  sg_textscan_result r = scan("rumah ulun tabakar, tulung lakas");
  CHECK_INT_EQ(r.category, SG_TEXTSCAN_FIRE);
  CHECK(r.cues & SG_CUE_URGENT);
  CHECK_INT_EQ(scan("apui ba huma").category, SG_TEXTSCAN_LAND_FIRE);
  r = scan("banyu sudah sedada, kakanakan di rumah");
  CHECK_INT_EQ(r.category, SG_TEXTSCAN_FLOOD);
  CHECK(r.cues & SG_CUE_CHILD);
  CHECK(scan("nenek2 msh di dlm").cues & SG_CUE_ELDERLY);
  CHECK(scan("nenek2 msh di dlm").cues & SG_CUE_INSIDE);
  CHECK(scan("tolooong kebakaraaan").cues & SG_CUE_URGENT);
  CHECK_INT_EQ(scan("laka di km 7").category, SG_TEXTSCAN_ACCIDENT);
  CHECK_INT_EQ(scan("curanmor di parkiran").category, SG_TEXTSCAN_CRIME);
  CHECK(scan("bawa sajam").cues & SG_CUE_WEAPON);
}

static void test_negation_and_time(void) {
  CHECK_INT_EQ(scan("blm ada yg luka").cues & SG_CUE_INJURED, 0);
  CHECK_INT_EQ(scan("ga ada korban jiwa").cues & SG_CUE_FATALITY, 0);
  CHECK_INT_EQ(scan("tidak ada kebakaran, cuma bakar sampah").category, SG_TEXTSCAN_NONEMERGENCY);
  sg_textscan_result r = scan("kemarin ada kebakaran di pasar, sekarang aman");
  CHECK_INT_EQ(r.category, SG_TEXTSCAN_NONEMERGENCY);
  int past = 0;
  for (size_t k = 0; k < r.n_matches; k++)
    past += r.matches[k].kind == SG_TEXTSCAN_MATCH_PAST;
  CHECK(past >= 1);
  CHECK_INT_EQ(scan("semalam ada yg kecelakaan dan korban meninggal").cues & SG_CUE_FATALITY, 0);
  /* "dari semalam" is ongoing, not past */
  CHECK_INT_EQ(scan("anak sy demam dari semalam").category, SG_TEXTSCAN_MEDICAL);
  CHECK_INT_EQ(scan("kakek hilang sejak kemarin").category, SG_TEXTSCAN_RESCUE);
}

static void test_resolution(void) {
  sg_textscan_result r = scan("dia pingsan tadi tapi udh sadar");
  CHECK_INT_EQ(r.cues & SG_CUE_UNCONSCIOUS, 0);
  CHECK(r.cues_resolved & SG_CUE_UNCONSCIOUS);
  r = scan("kejang 2 menit, sudah berhenti");
  CHECK_INT_EQ(r.cues & SG_CUE_SEIZURE, 0);
  r = scan("kebakaran tapi semua sudah keluar");
  CHECK_INT_EQ(r.cues & SG_CUE_INSIDE, 0);
  CHECK_INT_EQ(r.category, SG_TEXTSCAN_FIRE);
  /* not resolved when negated */
  r = scan("api belum dipadamkan");
  for (size_t k = 0; k < r.n_matches; k++)
    CHECK(r.matches[k].kind != SG_TEXTSCAN_MATCH_RESOLVED);
  /* out of the water and not breathing: resuscitation, not water rescue */
  r = scan("korban tenggelam sdh dikeluarkan dari air tapi ga napas");
  CHECK_INT_EQ(r.category, SG_TEXTSCAN_MEDICAL);
  CHECK(r.cues & SG_CUE_NOT_BREATHING);
  CHECK_INT_EQ(r.cues & SG_CUE_DROWNING, 0);
}

static void test_nonemergency(void) {
  const char *texts[] = {"terima kasih damkar",    "tes tes",
                         "maaf salah kirim",       "mati lampu dari sore, kapan nyala?",
                         "mau tanya nomor damkar", "thanks for last night"};
  for (size_t k = 0; k < sizeof texts / sizeof texts[0]; k++) {
    sg_textscan_result r = scan(texts[k]);
    if (r.category != SG_TEXTSCAN_NONEMERGENCY)
      CHECK_FAIL_("\"%s\" read as %s", texts[k], sg_textscan_category_name(r.category));
  }
  /* a question with an emergency in it stays an emergency */
  CHECK_INT_EQ(scan("anak sy diculik? dibawa org ga dikenal").category, SG_TEXTSCAN_CRIME);
  /* a danger said now outweighs a routine word */
  CHECK_INT_EQ(scan("bakar sampah tapi apinya makin besar, merembet").category, SG_TEXTSCAN_FIRE);
}

static void test_determinants(void) {
  static const struct {
    const char *text;
    sg_textscan_category cat;
    uint32_t cue;
  } cases[] = {
      {"nenek sy msh di dlm kamar, rumah kebakaran", SG_TEXTSCAN_FIRE, SG_CUE_INSIDE},
      {"my roommate is still inside, the house is on fire", SG_TEXTSCAN_FIRE, SG_CUE_INSIDE},
      {"bapak ga bisa keluar", SG_TEXTSCAN_RESCUE, SG_CUE_TRAPPED},
      {"dia ga respon dipanggil", SG_TEXTSCAN_MEDICAL, SG_CUE_UNCONSCIOUS},
      {"ga gerak sama sekali", SG_TEXTSCAN_MEDICAL, SG_CUE_UNCONSCIOUS},
      {"bibirnya biru", SG_TEXTSCAN_MEDICAL, SG_CUE_CYANOSIS},
      {"napasnya pelan bgt", SG_TEXTSCAN_MEDICAL, SG_CUE_CYANOSIS},
      {"bicaranya pelo, mulut mencong", SG_TEXTSCAN_MEDICAL, SG_CUE_STROKE},
      {"nyeri dada keringat dingin", SG_TEXTSCAN_MEDICAL, SG_CUE_CHEST_PAIN | SG_CUE_SWEATING},
      {"anak kejang2 terus", SG_TEXTSCAN_MEDICAL, SG_CUE_SEIZURE},
      {"kesetrum pas benerin kabel", SG_TEXTSCAN_MEDICAL, SG_CUE_ELECTROCUTION},
      {"digigit ular kobra", SG_TEXTSCAN_MEDICAL, SG_CUE_ENVENOMATION},
      {"temen gw overdosis", SG_TEXTSCAN_MEDICAL, SG_CUE_OVERDOSE},
      {"ada buaya di dermaga", SG_TEXTSCAN_ANIMAL, SG_CUE_DANGEROUS_ANIMAL},
      {"sarang tawon di plafon", SG_TEXTSCAN_ANIMAL, 0},
      {"kabel listrik putus ke jalan", SG_TEXTSCAN_HAZARD, SG_CUE_LIVE_WIRE},
      {"bau gas di dapur", SG_TEXTSCAN_HAZARD, SG_CUE_EXPLOSION},
      {"kabut asap tebal, jarak pandang 20 m", SG_TEXTSCAN_HAZE, 0},
      {"lahan gambut terbakar", SG_TEXTSCAN_LAND_FIRE, SG_CUE_PEAT_FIRE},
      /* a tree on an occupied car: rescue first, the hazard kept second */
      {"pohon tumbang menimpa mobil, ada orang di dalam", SG_TEXTSCAN_RESCUE, SG_CUE_INSIDE},
      /* the named incident decides, the victim's state is secondary */
      {"kecelakaan motor, korban ga sadar", SG_TEXTSCAN_ACCIDENT, SG_CUE_UNCONSCIOUS},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    sg_textscan_result r = scan(cases[k].text);
    if (r.category != cases[k].cat || (r.cues & cases[k].cue) != cases[k].cue)
      CHECK_FAIL_("\"%s\": %s cues 0x%x", cases[k].text, sg_textscan_category_name(r.category),
                  (unsigned)r.cues);
  }
  sg_textscan_result r = scan("pohon tumbang menimpa mobil, ada orang di dalam");
  CHECK_INT_EQ(r.secondary, SG_TEXTSCAN_HAZARD);
  r = scan("kecelakaan motor, korban ga sadar");
  CHECK_INT_EQ(r.secondary, SG_TEXTSCAN_MEDICAL);
}

static void test_reasons_name_the_phrase(void) {
  sg_textscan_result r = scan("bapak sy tiba2 bicaranya pelo");
  int found = 0;
  for (size_t k = 0; k < r.n_matches; k++)
    if (r.matches[k].cue & SG_CUE_STROKE) {
      CHECK_STR_EQ(r.matches[k].typed, "pelo");
      CHECK_STR_EQ(r.matches[k].en, "slurred speech");
      found = 1;
    }
  CHECK(found);
}

int main(void) {
  RUN_TEST(test_builtin_and_file_agree);
  RUN_TEST(test_bad_files_refused);
  RUN_TEST(test_own_lexicon);
  RUN_TEST(test_tokens_not_substrings);
  RUN_TEST(test_spelling);
  RUN_TEST(test_negation_and_time);
  RUN_TEST(test_resolution);
  RUN_TEST(test_nonemergency);
  RUN_TEST(test_determinants);
  RUN_TEST(test_reasons_name_the_phrase);
  CHECK_DONE();
}
