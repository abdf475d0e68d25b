// Read bandwidth of one core by buffer size (L2-, L3- and DRAM-sized), for
// the floor of issue 22's rows 1-2 (docs/benchmarks.md, "Rows 1-2: the
// AVX-512 gather and the floor"): 512-bit loads summed over a buffer of
// 256 KiB ... 256 MiB, about 2 GiB read per size, the best of 3 passes.
// Streaming reads only; the engine's delayed gathers are not modelled.
//   gcc -O2 -mavx512f -o /tmp/read_bandwidth benches/read_bandwidth.c && /tmp/read_bandwidth
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <immintrin.h>
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec+t.tv_nsec*1e-9;}
int main(int argc,char**argv){
  size_t sizes[]={256<<10, 1<<20, 5<<20, 16<<20, 256<<20};
  for(int s=0;s<5;s++){
    size_t n=sizes[s]/4; float*a=aligned_alloc(64,n*4); for(size_t i=0;i<n;i++)a[i]=i*1e-7f;
    size_t total=2ull<<30; int reps=total/(n*4); if(reps<1)reps=1;
    __m512 acc[4]={_mm512_setzero_ps(),_mm512_setzero_ps(),_mm512_setzero_ps(),_mm512_setzero_ps()};
    double best=1e9;
    for(int t=0;t<3;t++){ double t0=now();
      for(int r=0;r<reps;r++) for(size_t i=0;i<n;i+=64){
        acc[0]=_mm512_add_ps(acc[0],_mm512_load_ps(a+i)); acc[1]=_mm512_add_ps(acc[1],_mm512_load_ps(a+i+16));
        acc[2]=_mm512_add_ps(acc[2],_mm512_load_ps(a+i+32)); acc[3]=_mm512_add_ps(acc[3],_mm512_load_ps(a+i+48));}
      double dt=now()-t0; if(dt<best)best=dt; }
    float o[16]; _mm512_storeu_ps(o,_mm512_add_ps(_mm512_add_ps(acc[0],acc[1]),_mm512_add_ps(acc[2],acc[3])));
    printf("%8zu KiB: %.1f GB/s read (%g)\n", sizes[s]>>10, (double)reps*n*4/best/1e9, o[0]);
    free(a);
  }
}
