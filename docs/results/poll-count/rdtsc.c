/* Cost of one TSC read: gcc -O2 -o rdtsc rdtsc.c && ./rdtsc */
#include <stdio.h>
#include <stdint.h>
#include <x86intrin.h>
#include <time.h>
int main(void){ struct timespec a,b; uint64_t s=0; clock_gettime(CLOCK_MONOTONIC,&a);
for(int i=0;i<10000000;i++) s+=__rdtsc(); clock_gettime(CLOCK_MONOTONIC,&b);
printf("%.1f ns per rdtsc (%lu)\n",((b.tv_sec-a.tv_sec)*1e9+(b.tv_nsec-a.tv_nsec))/1e7,(unsigned long)(s&1)); }
