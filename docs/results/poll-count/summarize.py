import csv,glob,os,statistics as st,re,sys
os.chdir(os.path.dirname(os.path.abspath(__file__)))
rounds=set(int(x) for x in sys.argv[1].split(',')) if len(sys.argv)>1 else None
d={}
for f in glob.glob('r*-*.csv'):
    r,v=re.match(r'r(\d+)-(\w+)\.csv',f).groups()
    if rounds and int(r) not in rounds: continue
    for row in csv.reader(open(f)):
        if row[0]=='peer': continue
        for pl,mp,n in (('near',row[7],row[8]),('far',row[9],row[10])):
            if mp!='NA' and int(n)>=2:
                d.setdefault((row[2],pl,v),[]).append(float(mp))
for k in sorted(d):
    print(k, len(d[k]), 'median %.2f'%st.median(d[k]), ' '.join('%.1f'%x for x in sorted(d[k])))
