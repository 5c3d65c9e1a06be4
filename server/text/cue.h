/* The severity cues a text can carry: the vocabulary shared by the text
 * reader, which finds them (text/textscan.c), and the triage rules, which
 * score them (triage/rules.c). Header only, so neither side includes the
 * other's module to speak of them. */
#ifndef SG_CUE_H
#define SG_CUE_H

/* Severity cues: things a citizen says that make an emergency more urgent,
 * whatever its category. They are bits so a result carries all of them at
 * once; textscan finds them (Indonesian and English, informal spellings) and
 * rules.c gives each its points. The values are stable: they are logged. */
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
};
#define SG_CUE_COUNT 18

#endif
