/* The severity cues a text can carry: the vocabulary shared by the text
 * reader, which finds them (text/textscan.c), and the triage rules, which
 * score them (triage/rules.c). Header only, so neither side includes the
 * other's module to speak of them. */
#ifndef SG_CUE_H
#define SG_CUE_H

#include <stdint.h>

/* Severity cues: things a citizen says that make an emergency more urgent,
 * whatever its category. They are bits so a result carries all of them at
 * once; textscan finds them (Indonesian and English, informal spellings) and
 * the triage protocol (data/protocol/triage-protocol.tsv, a determinant row
 * per cue name) gives each its points. The values are stable: they are
 * logged. */
enum {
  SG_CUE_TRAPPED = 1u << 0,         /* terjebak, terjepit: trapped */
  SG_CUE_UNCONSCIOUS = 1u << 1,     /* pingsan, tidak sadar: unconscious */
  SG_CUE_NOT_BREATHING = 1u << 2,   /* tidak bernapas, henti napas: not breathing */
  SG_CUE_BREATHING = 1u << 3,       /* sesak napas: difficulty breathing */
  SG_CUE_BLEEDING = 1u << 4,        /* darah, berdarah: bleeding */
  SG_CUE_INJURED = 1u << 5,         /* luka, patah: injured */
  SG_CUE_CHILD = 1u << 6,           /* anak, balita, bayi: child */
  SG_CUE_ELDERLY = 1u << 7,         /* lansia, kakek, nenek: elderly */
  SG_CUE_PREGNANT = 1u << 8,        /* hamil, melahirkan: pregnant or in labour */
  SG_CUE_MANY_CASUALTIES = 1u << 9, /* banyak korban, "5 orang": many casualties */
  SG_CUE_WEAPON = 1u << 10,         /* senjata, pisau, parang, mandau: weapon */
  SG_CUE_SPREADING = 1u << 11,      /* merembet, api besar, banyak rumah: spreading or large */
  SG_CUE_PEAT_FIRE = 1u << 12,      /* karhutla, lahan gambut: land or peat fire */
  SG_CUE_DROWNING = 1u << 13,       /* tenggelam, hanyut: drowning or swept away */
  SG_CUE_DEEP_WATER = 1u << 14,     /* sedada, sampai atap: water chest-deep or higher */
  SG_CUE_EXPLOSION = 1u << 15,      /* ledakan, tabung gas: explosion */
  SG_CUE_FATALITY = 1u << 16,       /* meninggal, tewas: someone died */
  SG_CUE_URGENT = 1u << 17,         /* tolong, segera, darurat: plea for help */
  /* Added for issue 13: people at risk and medical determinants said
   * without the old keywords. */
  SG_CUE_INSIDE = 1u << 18,           /* masih di dalam, belum keluar: someone still inside */
  SG_CUE_STROKE = 1u << 19,           /* bicara pelo, mulut mencong: stroke signs */
  SG_CUE_CHEST_PAIN = 1u << 20,       /* nyeri dada: chest pain */
  SG_CUE_SEIZURE = 1u << 21,          /* kejang: seizure */
  SG_CUE_ELECTROCUTION = 1u << 22,    /* kesetrum, tersengat listrik: electrocution */
  SG_CUE_ENVENOMATION = 1u << 23,     /* digigit ular, disengat tawon: venomous bite or sting */
  SG_CUE_OVERDOSE = 1u << 24,         /* overdosis, keracunan: overdose or poisoning */
  SG_CUE_CYANOSIS = 1u << 25,         /* bibir biru, napas pelan: blue lips, faint breathing */
  SG_CUE_DANGEROUS_ANIMAL = 1u << 26, /* buaya, kobra: dangerous animal */
  SG_CUE_LIVE_WIRE = 1u << 27,        /* kabel putus, percikan api: live wire */
  SG_CUE_ONGOING = 1u << 28,          /* barusan, sekarang: happening now (a crime in progress) */
  SG_CUE_SWEATING = 1u << 29,         /* keringat dingin: cold sweat (with chest pain) */
};
#define SG_CUE_COUNT 30

/* Stable lower-case name of one cue bit ("trapped"), NULL if cue is not
 * exactly one known bit; and back (0 for an unknown name). The names are
 * the ones the lexicon file (data/lexicon/triage.tsv) and the logs use. */
static inline const char *sg_cue_name(uint32_t cue) {
  static const char *const names[SG_CUE_COUNT] = {
      "trapped",         "unconscious",   "not_breathing",
      "breathing",       "bleeding",      "injured",
      "child",           "elderly",       "pregnant",
      "many_casualties", "weapon",        "spreading",
      "peat_fire",       "drowning",      "deep_water",
      "explosion",       "fatality",      "urgent",
      "inside",          "stroke",        "chest_pain",
      "seizure",         "electrocution", "envenomation",
      "overdose",        "cyanosis",      "dangerous_animal",
      "live_wire",       "ongoing",       "sweating"};
  for (int k = 0; k < SG_CUE_COUNT; k++)
    if (cue == 1u << k)
      return names[k];
  return 0;
}

#endif
