graph [
  node [
    id 0
    label "0"
    x -0.0751
    x -5.3077
    x -1.968
    x -0.5517
    x -0.765
    x -3.0001
    x 0.3847
    x -2.4492
    community "red"
  ]
  node [
    id 1
    label "1"
    x -1.3189
    x 1.8477
    x -2.5057
    x -0.5197
    x 0.7771
    x -1.1071
    x 1.1168
    x -0.2713
    community "red"
  ]
  node [
    id 2
    label "2"
    x 0.4263
    x -2.7242
    x -0.7383
    x 2.263
    x -4.0859
    x 1.7789
    x 1.5789
    x -1.7751
    community "red"
  ]
  node [
    id 3
    label "3"
    x 4.2996
    x 1.2504
    x -3.2892
    x -0.3056
    x 0.1617
    x -0.3174
    x 2.706
    x -0.6252
    community "red"
  ]
  node [
    id 4
    label "4"
    x 1.6332
    x 2.6029
    x -2.2419
    x -0.0484
    x -1.9183
    x 0.3147
    x -1.0342
    x -1.6508
  ]
  node [
    id 5
    label "5"
    x -0.0936
    x 1.5234
    x 1.3999
    x -3.1017
    x -2.5809
    x 1.354
    x -2.6446
    x -1.4185
    community "red"
  ]
  node [
    id 6
    label "6"
    x 0.1042
    x 2.2399
    x 0.4882
    x -1.1091
    x -1.7288
    x -0.4402
    x 4.3873
    x -1.3483
    community "red"
  ]
  node [
    id 7
    label "7"
    x -0.3086
    x 0.431
    x -1.1321
    x -0.8492
    x -3.2198
    x 0.0371
    x 0.4531
    x 1.84
  ]
  node [
    id 8
    label "8"
    x 1.6049
    x -0.3224
    x 0.4462
    x -1.1344
    x 1.1126
    x 0.0493
    x 2.507
    x -3.074
  ]
  node [
    id 9
    label "9"
    x 0.9921
    x -3.6505
    x -4.9612
    x -1.0636
    x -2.7915
    x 0.3882
    x 5.8297
    x -2.1557
    community "red"
  ]
  node [
    id 10
    label "10"
    x -0.9491
    x 0.1367
    x 0.0954
    x -0.8075
    x -1.4035
    x 1.4651
    x 2.38
    x -2.5596
    community "red"
  ]
  node [
    id 11
    label "11"
    x 0.1404
    x -0.2036
    x -2.9996
    x 0.065
    x -2.7076
    x 2.0043
    x 1.7257
    x -0.3136
    community "red"
  ]
  node [
    id 12
    label "12"
    x -0.8833
    x -0.5114
    x -4.8861
    x -2.7175
    x -0.266
    x -4.197
    x 3.0334
    x -3.9844
    community "red"
  ]
  node [
    id 13
    label "13"
    x 1.8122
    x -1.9651
    x 0.6674
    x -0.1928
    x -4.0653
    x 2.5584
    x 4.2236
    x -0.6238
    community "red"
  ]
  node [
    id 14
    label "14"
    x -0.2491
    x -0.5939
    x -2.8409
    x 1.7425
    x -2.0774
    x -0.0422
    x -0.2464
    x -1.7444
  ]
  node [
    id 15
    label "15"
    x -2.2567
    x 2.24
    x -1.1988
    x 1.4772
    x -0.965
    x -1.3287
    x 0.6868
    x -1.6127
    community "red"
  ]
  node [
    id 16
    label "16"
    x 0.3147
    x -1.0247
    x -1.4904
    x -3.2118
    x -2.6053
    x 3.3683
    x -0.0023
    x -2.6004
  ]
  node [
    id 17
    label "17"
    x 0.9734
    x 2.5404
    x -3.7986
    x -0.8717
    x -2.2558
    x -3.4619
    x 2.8101
    x -0.5391
    community "red"
  ]
  node [
    id 18
    label "18"
    x 0.4416
    x -1.7788
    x 0.019
    x -1.5333
    x -1.2775
    x -2.1564
    x -1.092
    x 2.1789
    community "red"
  ]
  node [
    id 19
    label "19"
    x -0.7155
    x 0.3092
    x -0.9582
    x -1.337
    x -2.0076
    x 1.3203
    x 0.7365
    x -0.7951
  ]
  node [
    id 20
    label "20"
    x 0.3432
    x 2.0789
    x 0.4704
    x 0.3105
    x -2.1188
    x -2.7038
    x 3.2393
    x 1.4407
    community "red"
  ]
  node [
    id 21
    label "21"
    x 0.0173
    x 0.8096
    x 0.6723
    x 1.2077
    x 0.8511
    x -0.8511
    x 4.3702
    x -2.9854
    community "red"
  ]
  node [
    id 22
    label "22"
    x 2.0222
    x 0.7137
    x 0.8566
    x 3.3033
    x 1.9772
    x -2.2302
    x -2.0371
    x 1.1416
  ]
  node [
    id 23
    label "23"
    x -1.7313
    x -0.2989
    x 0.7889
    x -3.7423
    x -5.2116
    x 0.5787
    x 1.429
    x -0.9838
    community "red"
  ]
  node [
    id 24
    label "24"
    x 0.3758
    x -1.9952
    x -3.9176
    x -0.788
    x -2.9351
    x -3.2268
    x 2.3516
    x -0.615
    community "red"
  ]
  node [
    id 25
    label "25"
    x 1.1118
    x -2.2527
    x -2.2067
    x -2.4528
    x -2.7649
    x 0.451
    x -0.2257
    x 0.2199
    community "red"
  ]
  node [
    id 26
    label "26"
    x 0.9783
    x 3.7762
    x -3.6762
    x 1.3211
    x -1.1706
    x 0.0321
    x -1.5595
    x -1.4126
    community "red"
  ]
  node [
    id 27
    label "27"
    x 1.7851
    x -0.4391
    x -0.7285
    x -1.0361
    x 1.3175
    x 0.0172
    x -3.0606
    x -1.8764
    community "red"
  ]
  node [
    id 28
    label "28"
    x -3.6388
    x -6.777
    x -1.9508
    x 2.2124
    x -0.8974
    x -2.2849
    x -0.5412
    x 1.769
  ]
  node [
    id 29
    label "29"
    x 0.614
    x -0.1781
    x -0.9975
    x -0.3779
    x 0.6192
    x 1.1653
    x 1.7716
    x -2.5779
    community "red"
  ]
  node [
    id 30
    label "30"
    x 1.321
    x -1.6426
    x 1.2971
    x -2.9968
    x -1.2669
    x 0.0454
    x -1.3091
    x 2.9517
    community "red"
  ]
  node [
    id 31
    label "31"
    x 3.2196
    x -1.2013
    x 0.6529
    x 0.3027
    x -6.2188
    x 0.5609
    x 1.2175
    x -0.3258
    community "red"
  ]
  node [
    id 32
    label "32"
    x -1.855
    x -0.8128
    x -1.2471
    x 1.9215
    x -0.3228
    x 0.049
    x 4.3982
    x -1.6027
    community "red"
  ]
  node [
    id 33
    label "33"
    x -0.4801
    x -3.9076
    x 2.2476
    x 1.474
    x 0.842
    x 1.3979
    x 1.5605
    x -0.0612
    community "red"
  ]
  node [
    id 34
    label "34"
    x -0.2053
    x -0.6813
    x -0.782
    x 2.569
    x 0.1197
    x -0.0568
    x 0.1814
    x -1.7622
    community "red"
  ]
  node [
    id 35
    label "35"
    x 3.5042
    x 0.7392
    x -0.7555
    x -1.147
    x -3.2098
    x -0.0736
    x 3.0875
    x -1.2773
    community "red"
  ]
  node [
    id 36
    label "36"
    x -0.1557
    x -0.7162
    x -0.6714
    x -3.6407
    x -1.4624
    x -1.6486
    x 3.1094
    x -2.0334
    community "red"
  ]
  node [
    id 37
    label "37"
    x 1.4528
    x 2.7747
    x -1.5178
    x -1.6578
    x -0.6088
    x 0.0561
    x -0.647
    x 0.4296
    community "red"
  ]
  node [
    id 38
    label "38"
    x 4.3298
    x -0.7904
    x -1.2963
    x -2.5445
    x -0.3535
    x -2.4338
    x -0.8736
    x 2.0671
    community "red"
  ]
  node [
    id 39
    label "39"
    x -1.5122
    x 1.8886
    x 2.1581
    x 0.064
    x 0.1151
    x 3.9646
    x 0.9468
    x -1.6782
    community "red"
  ]
  node [
    id 40
    label "40"
    x -2.4077
    x -0.1907
    x 2.0677
    x 1.4645
    x -2.8758
    x -1.6506
    x 0.3319
    x 0.0923
    community "red"
  ]
  node [
    id 41
    label "41"
    x -0.1119
    x 0.1548
    x -0.2971
    x -1.0522
    x -1.072
    x 0.4733
    x 1.1723
    x 0.5148
    community "red"
  ]
  node [
    id 42
    label "42"
    x 4.0405
    x 0.9098
    x -0.779
    x -3.8269
    x -0.2157
    x -3.8332
    x -1.4779
    x 1.2171
    community "red"
  ]
  node [
    id 43
    label "43"
    x 1.7112
    x -0.574
    x -4.3106
    x -1.1974
    x -2.3491
    x 1.3338
    x 5.8557
    x -0.0583
    community "red"
  ]
  node [
    id 44
    label "44"
    x -1.2599
    x -2.6152
    x -1.0028
    x -0.8083
    x -3.2947
    x 0.2929
    x -0.9616
    x 1.732
    community "red"
  ]
  node [
    id 45
    label "45"
    x 2.424
    x 1.8954
    x -1.8387
    x 0.5744
    x -1.2558
    x -0.7175
    x 0.6619
    x -3.0916
    community "red"
  ]
  node [
    id 46
    label "46"
    x -2.589
    x 1.3145
    x -1.2731
    x -0.0218
    x 1.0118
    x -3.4061
    x -0.228
    x -0.1415
    community "red"
  ]
  node [
    id 47
    label "47"
    x 1.0829
    x -1.0283
    x 1.1678
    x -0.0339
    x -3.4184
    x -1.8014
    x 2.9512
    x 0.4355
    community "red"
  ]
  node [
    id 48
    label "48"
    x -3.4994
    x 2.4213
    x 0.3055
    x 2.232
    x -1.759
    x -0.5313
    x -0.9127
    x 4.5817
    community "red"
  ]
  node [
    id 49
    label "49"
    x -0.0522
    x 2.9009
    x -2.1852
    x -0.127
    x -4.3344
    x -0.7056
    x 3.3077
    x -2.9957
    community "red"
  ]
  node [
    id 50
    label "50"
    x 2.4432
    x 0.4003
    x -2.9785
    x -1.4579
    x -1.9098
    x -0.0389
    x 0.2679
    x -2.1468
    community "red"
  ]
  node [
    id 51
    label "51"
    x -0.3104
    x -2.3279
    x -3.4696
    x -0.551
    x 0.7741
    x -2.9986
    x 1.3472
    x -1.7921
    community "red"
  ]
  node [
    id 52
    label "52"
    x -1.6555
    x 1.4327
    x -1.9269
    x 2.5419
    x -2.5513
    x 0.8331
    x 0.8856
    x -2.0003
    community "red"
  ]
  node [
    id 53
    label "53"
    x 1.4741
    x -0.5841
    x 0.3158
    x -0.5493
    x -3.1633
    x -0.144
    x 1.4441
    x 1.4247
    community "red"
  ]
  node [
    id 54
    label "54"
    x -1.5138
    x -0.3528
    x -4.3343
    x 0.8483
    x -3.1546
    x -3.5526
    x 1.2218
    x 1.7192
    community "red"
  ]
  node [
    id 55
    label "55"
    x -2.7501
    x -2.4502
    x -2.3771
    x -2.7137
    x -0.2328
    x -1.5546
    x -0.1028
    x 0.6744
    community "red"
  ]
  node [
    id 56
    label "56"
    x -1.2123
    x 0.5914
    x -2.8334
    x -2.8789
    x -4.6625
    x 3.7825
    x 0.6997
    x -0.0043
    community "red"
  ]
  node [
    id 57
    label "57"
    x 0.2366
    x 0.0458
    x -0.7912
    x 3.3618
    x -3.0695
    x -3.0548
    x -0.6837
    x -3.1616
    community "red"
  ]
  node [
    id 58
    label "58"
    x 1.7927
    x 1.3666
    x -2.8132
    x -3.2355
    x -1.7012
    x 2.8424
    x -4.2989
    x 0.561
    community "red"
  ]
  node [
    id 59
    label "59"
    x -1.8528
    x 1.8066
    x -3.0464
    x -1.0255
    x -4.0042
    x -1.8944
    x 4.1119
    x 1.149
  ]
  node [
    id 60
    label "60"
    x -0.5046
    x -2.0145
    x -4.6782
    x -1.242
    x -1.0535
    x -0.108
    x 1.1526
    x -2.7358
  ]
  node [
    id 61
    label "61"
    x 0.1662
    x -0.3515
    x 1.6905
    x 3.2788
    x -1.2656
    x -1.4725
    x 1.2103
    x -1.7074
  ]
  node [
    id 62
    label "62"
    x -1.1861
    x -0.3914
    x -2.9772
    x 0.7575
    x -1.1995
    x 0.5602
    x 0.9743
    x -1.9467
  ]
  node [
    id 63
    label "63"
    x -1.5972
    x -0.7487
    x -1.9881
    x 0.0131
    x -1.0005
    x -2.6645
    x 1.4745
    x -3.1779
    community "red"
  ]
  node [
    id 64
    label "64"
    x -0.9342
    x -0.8628
    x -5.0411
    x -0.2717
    x -0.6897
    x -0.2559
    x 0.4916
    x -1.2394
    community "red"
  ]
  node [
    id 65
    label "65"
    x -1.6543
    x -0.8135
    x -1.9958
    x -0.2713
    x -3.3999
    x 0.5313
    x 1.6267
    x -0.7753
    community "red"
  ]
  node [
    id 66
    label "66"
    x -0.5797
    x 0.8305
    x -4.2198
    x 0.4662
    x -0.5056
    x 0.6269
    x 2.1068
    x -1.7995
    community "red"
  ]
  node [
    id 67
    label "67"
    x -0.2202
    x 1.0
    x -0.0293
    x -0.0412
    x -4.0203
    x 1.1359
    x 3.6792
    x 1.5271
    community "red"
  ]
  node [
    id 68
    label "68"
    x 0.7665
    x -3.3895
    x 0.9945
    x -0.7492
    x -6.0567
    x 0.8146
    x -1.6441
    x -3.0851
    community "red"
  ]
  node [
    id 69
    label "69"
    x -0.9712
    x 2.271
    x -1.6323
    x 0.0873
    x 2.5043
    x 3.2482
    x 1.1335
    x -0.9752
    community "red"
  ]
  node [
    id 70
    label "70"
    x -2.223
    x -1.6631
    x -0.0399
    x 0.3368
    x -0.7712
    x 2.0497
    x -0.2045
    x -0.6044
    community "red"
  ]
  node [
    id 71
    label "71"
    x 1.7612
    x 0.8942
    x 1.2513
    x 0.3394
    x -1.6105
    x 0.7845
    x -0.665
    x -3.7711
  ]
  node [
    id 72
    label "72"
    x 1.4601
    x -0.3844
    x -0.2738
    x -3.85
    x -1.7219
    x -1.1396
    x -0.3882
    x -5.0022
    community "red"
  ]
  node [
    id 73
    label "73"
    x -0.371
    x 1.5205
    x -0.1286
    x -1.6566
    x -1.0214
    x 1.5737
    x -4.1806
    x -0.7413
    community "red"
  ]
  node [
    id 74
    label "74"
    x 1.3851
    x 1.0901
    x 2.5109
    x 1.8154
    x -0.3665
    x 0.6641
    x 2.9141
    x -1.5709
  ]
  node [
    id 75
    label "75"
    x 0.2184
    x 1.5383
    x 3.0243
    x -0.7732
    x -1.0884
    x 0.4571
    x 4.0266
    x -0.5528
  ]
  node [
    id 76
    label "76"
    x 3.2375
    x -2.2075
    x -1.2627
    x -0.851
    x 0.5814
    x 2.1507
    x -1.6787
    x -2.3224
    community "red"
  ]
  node [
    id 77
    label "77"
    x 0.9725
    x -1.5915
    x -3.9354
    x 1.6223
    x -0.0037
    x 1.0465
    x 0.3893
    x 1.5657
  ]
  node [
    id 78
    label "78"
    x -0.1812
    x 1.9187
    x -2.7139
    x -2.1629
    x -0.5823
    x -1.3445
    x 2.6911
    x 0.028
    community "red"
  ]
  node [
    id 79
    label "79"
    x -1.5472
    x -0.1284
    x -1.5931
    x 1.377
    x -2.2568
    x -0.8182
    x 3.7627
    x 3.985
    community "red"
  ]
  node [
    id 80
    label "80"
    x 4.2968
    x -0.1477
    x -0.4529
    x 2.6122
    x -1.2405
    x -1.8926
    x 1.574
    x 0.4108
  ]
  node [
    id 81
    label "81"
    x -1.3596
    x -3.5666
    x -3.7641
    x 0.8762
    x -2.5084
    x -0.2226
    x 1.7653
    x 0.7461
    community "red"
  ]
  node [
    id 82
    label "82"
    x -0.3711
    x 0.7233
    x -2.6707
    x -1.1781
    x -3.0405
    x 2.3237
    x 1.286
    x -1.9708
    community "red"
  ]
  node [
    id 83
    label "83"
    x -0.406
    x -0.7176
    x 0.5104
    x -3.6459
    x -3.0661
    x -0.6961
    x 6.4048
    x 1.4192
    community "red"
  ]
  node [
    id 84
    label "84"
    x 0.0758
    x 1.1499
    x 3.2243
    x -0.9222
    x -1.7245
    x 2.484
    x 2.3286
    x 0.8505
    community "red"
  ]
  node [
    id 85
    label "85"
    x -0.7177
    x 3.5743
    x 2.5286
    x 0.6772
    x 0.3769
    x -3.9944
    x 2.6156
    x -0.8804
    community "red"
  ]
  node [
    id 86
    label "86"
    x 1.1666
    x 1.0908
    x -1.5732
    x -3.8356
    x -0.2559
    x -1.4226
    x 0.6798
    x -1.7012
    community "red"
  ]
  node [
    id 87
    label "87"
    x -0.3844
    x -4.8932
    x 1.5433
    x 0.052
    x 1.2312
    x 4.0198
    x 1.3854
    x -4.0971
    community "red"
  ]
  node [
    id 88
    label "88"
    x -1.489
    x -2.6879
    x -1.8943
    x -0.2954
    x -4.996
    x 0.7451
    x -1.6805
    x 0.1025
    community "red"
  ]
  node [
    id 89
    label "89"
    x 0.0798
    x -0.9014
    x -1.0367
    x -1.5342
    x -2.2166
    x -3.3054
    x 1.281
    x 3.1989
    community "red"
  ]
  node [
    id 90
    label "90"
    x 4.2597
    x 2.3695
    x 0.521
    x -1.8076
    x 1.8939
    x -0.0521
    x 1.2025
    x -1.0747
    community "red"
  ]
  node [
    id 91
    label "91"
    x 0.4827
    x -1.1446
    x -1.0582
    x -2.6239
    x -1.739
    x 4.6213
    x 1.201
    x -0.9695
    community "red"
  ]
  node [
    id 92
    label "92"
    x 1.3635
    x 1.1421
    x -3.1181
    x -0.869
    x 0.8449
    x 0.5998
    x 1.5841
    x 2.6158
    community "red"
  ]
  node [
    id 93
    label "93"
    x -1.0568
    x -0.1086
    x -1.9307
    x 2.5259
    x -4.8954
    x -1.2801
    x 0.2819
    x 0.8349
    community "red"
  ]
  node [
    id 94
    label "94"
    x 1.5113
    x 2.5163
    x -4.0387
    x 1.0463
    x -1.5782
    x -1.2711
    x 2.4194
    x -2.3325
    community "red"
  ]
  node [
    id 95
    label "95"
    x -3.8551
    x -1.0146
    x -3.8861
    x -1.7525
    x -0.2485
    x 0.6841
    x 4.514
    x -0.8915
  ]
  node [
    id 96
    label "96"
    x -2.7679
    x -1.7863
    x -2.7294
    x -2.8903
    x -0.1209
    x -1.2303
    x -2.6145
    x 0.9016
  ]
  node [
    id 97
    label "97"
    x 0.0759
    x 0.4395
    x -0.6791
    x 0.8086
    x -0.9156
    x 2.5325
    x 2.1902
    x 0.2919
  ]
  node [
    id 98
    label "98"
    x 1.1185
    x -3.1874
    x -1.2199
    x -0.9733
    x -0.5766
    x -2.6572
    x 4.6084
    x -0.2834
    community "red"
  ]
  node [
    id 99
    label "99"
    x -2.1239
    x -3.6919
    x -1.4532
    x -0.634
    x -2.4282
    x 0.2444
    x 0.0579
    x 0.6111
    community "red"
  ]
  node [
    id 100
    label "100"
    x -2.0696
    x 0.4128
    x 2.3146
    x 5.2488
    x -2.9458
    x -0.9583
    x -0.9844
    x 0.2244
    community "green"
  ]
  node [
    id 101
    label "101"
    x -2.9167
    x -0.4789
    x 0.2977
    x -1.8519
    x -2.8451
    x -0.9805
    x -3.5056
    x -4.2352
    community "green"
  ]
  node [
    id 102
    label "102"
    x -1.4465
    x 0.7863
    x -0.0146
    x -3.4425
    x -1.858
    x 1.5676
    x 1.807
    x -1.5017
    community "green"
  ]
  node [
    id 103
    label "103"
    x -2.3952
    x 1.7523
    x -0.801
    x -2.2331
    x -2.5348
    x 2.8674
    x 1.1357
    x 0.9743
    community "green"
  ]
  node [
    id 104
    label "104"
    x -1.5791
    x 2.3661
    x -0.8461
    x -0.2094
    x 4.0422
    x 1.505
    x -0.307
    x -1.5139
    community "green"
  ]
  node [
    id 105
    label "105"
    x 0.032
    x 2.9108
    x -0.6214
    x -3.3772
    x -1.4898
    x 0.0015
    x 0.9144
    x 1.2892
    community "green"
  ]
  node [
    id 106
    label "106"
    x 0.0129
    x 2.1157
    x -1.8453
    x 1.8412
    x 3.262
    x 1.5166
    x 1.2024
    x -1.0362
    community "green"
  ]
  node [
    id 107
    label "107"
    x 2.9538
    x -1.3645
    x 0.1347
    x 1.0258
    x 0.5575
    x -0.9039
    x 1.3099
    x -1.9001
    community "green"
  ]
  node [
    id 108
    label "108"
    x -0.3795
    x 0.2257
    x -1.9263
    x 0.0632
    x 0.8238
    x -1.9633
    x 0.2131
    x -0.0147
    community "green"
  ]
  node [
    id 109
    label "109"
    x -2.7602
    x 0.8551
    x -1.7634
    x 2.3747
    x 3.6952
    x 4.0153
    x 0.2569
    x 0.1362
  ]
  node [
    id 110
    label "110"
    x -0.3785
    x 0.6941
    x 3.4524
    x -2.5329
    x 1.1801
    x -0.1272
    x 3.5124
    x -0.9697
  ]
  node [
    id 111
    label "111"
    x -1.9658
    x 1.0441
    x 1.8288
    x 0.1769
    x 0.0456
    x -1.0726
    x -3.5725
    x 0.4558
  ]
  node [
    id 112
    label "112"
    x 0.7778
    x 0.7862
    x 0.4937
    x 2.178
    x -1.8447
    x -1.4423
    x 0.3182
    x 1.034
    community "green"
  ]
  node [
    id 113
    label "113"
    x -3.3947
    x 2.8735
    x -0.9216
    x -2.0961
    x 1.5897
    x -0.223
    x -1.9052
    x -2.0617
    community "green"
  ]
  node [
    id 114
    label "114"
    x 1.2416
    x 2.874
    x -0.4973
    x 0.9181
    x 0.4977
    x -1.3185
    x 1.4054
    x -1.408
    community "green"
  ]
  node [
    id 115
    label "115"
    x -1.6925
    x -0.4945
    x 0.491
    x 0.1651
    x -2.0614
    x -0.8811
    x 2.922
    x -0.9166
    community "green"
  ]
  node [
    id 116
    label "116"
    x 1.1497
    x 2.8935
    x 1.5346
    x 4.6472
    x -2.5811
    x 1.5876
    x 0.059
    x 2.3674
    community "green"
  ]
  node [
    id 117
    label "117"
    x 2.7804
    x -3.4186
    x -1.5808
    x 1.434
    x 0.6493
    x 1.4439
    x 0.5536
    x -0.434
  ]
  node [
    id 118
    label "118"
    x 0.6856
    x 0.3341
    x 2.4115
    x -4.4136
    x 0.3371
    x -2.0974
    x 2.6127
    x -1.8016
    community "green"
  ]
  node [
    id 119
    label "119"
    x -2.398
    x 1.2376
    x -1.4658
    x -1.7201
    x -4.0651
    x -0.0827
    x 1.689
    x 0.7018
    community "green"
  ]
  node [
    id 120
    label "120"
    x -0.9039
    x 2.5856
    x 0.3928
    x -0.0812
    x 0.2167
    x 2.0875
    x 0.0124
    x -1.8317
    community "green"
  ]
  node [
    id 121
    label "121"
    x -0.9421
    x 0.6554
    x -1.4439
    x 2.1614
    x -1.7313
    x 0.8956
    x -0.9556
    x -0.6266
    community "green"
  ]
  node [
    id 122
    label "122"
    x 0.1627
    x -0.3515
    x 4.3987
    x 0.8475
    x 2.6234
    x 1.889
    x -0.6292
    x -2.1086
    community "green"
  ]
  node [
    id 123
    label "123"
    x 0.2517
    x 0.6122
    x 0.4558
    x -0.467
    x -4.5474
    x -0.4801
    x -3.7409
    x -0.6006
    community "green"
  ]
  node [
    id 124
    label "124"
    x -2.0726
    x -0.941
    x -0.0817
    x 0.6508
    x -3.7945
    x -3.5265
    x -1.4368
    x -5.4277
    community "green"
  ]
  node [
    id 125
    label "125"
    x -2.5542
    x 3.6716
    x -1.7563
    x 1.4082
    x -3.6737
    x 0.569
    x 0.0558
    x -1.4638
    community "green"
  ]
  node [
    id 126
    label "126"
    x 0.5171
    x 4.0023
    x 0.7463
    x 0.3541
    x -2.8772
    x 1.1374
    x 0.2032
    x 0.3198
    community "green"
  ]
  node [
    id 127
    label "127"
    x -0.7079
    x 3.9716
    x -3.6089
    x -0.4878
    x 0.8325
    x -0.7306
    x -0.889
    x -1.876
    community "green"
  ]
  node [
    id 128
    label "128"
    x -3.3803
    x 0.7277
    x 5.2378
    x 2.3955
    x -3.1485
    x -1.7759
    x -0.1142
    x 0.6646
    community "green"
  ]
  node [
    id 129
    label "129"
    x -2.2634
    x -0.8906
    x 2.1264
    x 1.8347
    x -1.6781
    x -2.2648
    x -2.4042
    x -2.7422
    community "green"
  ]
  node [
    id 130
    label "130"
    x -5.0815
    x 1.9895
    x -0.9032
    x 1.068
    x 2.8062
    x 2.3167
    x -1.607
    x 0.3943
    community "green"
  ]
  node [
    id 131
    label "131"
    x 1.6952
    x -1.0029
    x -1.5497
    x -0.114
    x -4.1333
    x 2.9122
    x -4.1154
    x -3.5578
    community "green"
  ]
  node [
    id 132
    label "132"
    x -1.1596
    x 0.0357
    x 0.6891
    x 0.6483
    x -1.3577
    x 2.2445
    x -3.5834
    x -1.3445
  ]
  node [
    id 133
    label "133"
    x -2.0496
    x 0.7549
    x 0.7984
    x -1.7182
    x -2.2124
    x 1.5559
    x 1.3934
    x -2.7047
    community "green"
  ]
  node [
    id 134
    label "134"
    x 3.4593
    x 5.1082
    x -2.568
    x 0.709
    x 4.0875
    x 1.5385
    x 1.1374
    x -1.7603
    community "green"
  ]
  node [
    id 135
    label "135"
    x -1.7029
    x 0.0648
    x -0.7446
    x 1.5952
    x -1.7268
    x -0.9116
    x -1.709
    x -1.4434
  ]
  node [
    id 136
    label "136"
    x -2.4087
    x 0.1283
    x 2.4405
    x 0.8373
    x 0.079
    x 0.6829
    x 0.8137
    x -1.5989
    community "green"
  ]
  node [
    id 137
    label "137"
    x -1.2361
    x 2.0081
    x -1.8116
    x 2.7869
    x -0.8623
    x -1.5267
    x -0.283
    x -2.6982
    community "green"
  ]
  node [
    id 138
    label "138"
    x -0.3001
    x -0.9458
    x 2.6411
    x -1.4579
    x -5.4755
    x -1.4912
    x -3.3217
    x -1.424
    community "green"
  ]
  node [
    id 139
    label "139"
    x 1.4978
    x 1.7854
    x -2.3183
    x -1.4191
    x 2.6268
    x 0.6078
    x 0.7035
    x 0.7679
    community "green"
  ]
  node [
    id 140
    label "140"
    x 4.285
    x 3.083
    x 0.6357
    x 0.8148
    x 0.3037
    x -1.2546
    x -1.4221
    x -1.2393
  ]
  node [
    id 141
    label "141"
    x -2.5149
    x 0.3669
    x 0.5491
    x 4.7875
    x -2.6326
    x -0.2728
    x 0.3667
    x -0.4696
  ]
  node [
    id 142
    label "142"
    x 1.473
    x -0.4911
    x -1.2858
    x -3.176
    x -2.7829
    x 1.0436
    x 0.7866
    x -3.3751
  ]
  node [
    id 143
    label "143"
    x -1.366
    x 0.5528
    x 1.3642
    x -1.0814
    x -1.4313
    x -3.6661
    x -1.6075
    x 1.8912
    community "green"
  ]
  node [
    id 144
    label "144"
    x -4.9968
    x -0.1858
    x 0.7953
    x -0.6433
    x -2.5468
    x -0.1514
    x 0.6854
    x -1.5084
    community "green"
  ]
  node [
    id 145
    label "145"
    x -4.3759
    x 0.195
    x -1.3533
    x -0.9901
    x -0.4765
    x 1.2522
    x 2.4889
    x -2.337
    community "green"
  ]
  node [
    id 146
    label "146"
    x 1.2275
    x 2.8373
    x 2.6302
    x 2.885
    x -1.2218
    x -0.3775
    x 2.3454
    x -4.0773
    community "green"
  ]
  node [
    id 147
    label "147"
    x -0.2016
    x -0.5713
    x -0.3807
    x -3.3776
    x -2.7116
    x -0.0702
    x 2.4722
    x 0.6358
    community "green"
  ]
  node [
    id 148
    label "148"
    x -0.7811
    x 0.1113
    x -1.3045
    x 0.9101
    x -1.4256
    x 1.1825
    x 4.1987
    x -1.409
  ]
  node [
    id 149
    label "149"
    x -3.6152
    x -1.2319
    x -2.5594
    x -2.2888
    x 1.6801
    x 0.4241
    x -2.345
    x -0.037
    community "green"
  ]
  node [
    id 150
    label "150"
    x 1.9003
    x -0.2299
    x -0.9951
    x -0.5693
    x -0.3613
    x 1.2507
    x 3.0597
    x 1.0807
    community "green"
  ]
  node [
    id 151
    label "151"
    x 1.7503
    x 3.2137
    x 1.6797
    x -2.9564
    x -1.1924
    x 0.5986
    x -0.0709
    x 0.4783
    community "green"
  ]
  node [
    id 152
    label "152"
    x -1.3409
    x -1.3617
    x 3.2455
    x 1.4374
    x -0.492
    x 1.8242
    x 2.8204
    x -0.6621
    community "green"
  ]
  node [
    id 153
    label "153"
    x -5.5358
    x -0.8613
    x -0.5563
    x -1.863
    x -0.5331
    x 2.3552
    x -0.2745
    x -3.6139
    community "green"
  ]
  node [
    id 154
    label "154"
    x 3.4356
    x -0.413
    x -2.109
    x 0.5808
    x -0.0791
    x -1.4394
    x 2.2762
    x -2.3189
    community "green"
  ]
  node [
    id 155
    label "155"
    x -2.4664
    x 0.847
    x 1.8984
    x -1.1623
    x -0.2692
    x -0.2162
    x 6.3442
    x -2.7613
    community "green"
  ]
  node [
    id 156
    label "156"
    x 2.1479
    x 0.3851
    x 0.1034
    x 1.5487
    x 0.8575
    x 2.5048
    x 1.3526
    x -2.545
    community "green"
  ]
  node [
    id 157
    label "157"
    x -1.6958
    x 1.5091
    x 1.5187
    x 2.9015
    x -0.0936
    x 2.0911
    x 3.7288
    x -1.0146
    community "green"
  ]
  node [
    id 158
    label "158"
    x -3.5916
    x -1.8687
    x -2.5187
    x 3.2886
    x -2.6253
    x 2.4344
    x 1.8668
    x 2.0863
    community "green"
  ]
  node [
    id 159
    label "159"
    x 1.3857
    x 0.2851
    x -0.0432
    x 0.2757
    x -0.5799
    x -1.0907
    x 0.63
    x 1.8744
  ]
  node [
    id 160
    label "160"
    x -4.0248
    x 1.0068
    x -1.457
    x 0.4795
    x 0.7492
    x -0.1445
    x 2.2413
    x -4.5239
    community "green"
  ]
  node [
    id 161
    label "161"
    x 1.5935
    x -0.7164
    x 1.6017
    x 0.4703
    x -6.1016
    x -1.5414
    x 1.1363
    x 1.7637
    community "green"
  ]
  node [
    id 162
    label "162"
    x -0.0459
    x 1.0052
    x -2.4685
    x 2.9677
    x 2.6837
    x 0.0279
    x 0.2558
    x -4.5823
    community "green"
  ]
  node [
    id 163
    label "163"
    x 1.1462
    x 5.8944
    x 1.7911
    x 2.6328
    x 0.1537
    x -1.9993
    x 3.3686
    x -3.8134
  ]
  node [
    id 164
    label "164"
    x -1.0418
    x 1.0475
    x 2.1227
    x 0.9374
    x -0.1568
    x -1.5522
    x -1.8834
    x -1.2213
    community "green"
  ]
  node [
    id 165
    label "165"
    x -2.0409
    x -2.1257
    x -2.175
    x -0.8748
    x -4.6356
    x -2.7242
    x -2.575
    x -0.9797
  ]
  node [
    id 166
    label "166"
    x 0.1955
    x 4.5041
    x -2.6382
    x -1.2538
    x 0.8948
    x -0.4628
    x 0.0413
    x 2.0741
  ]
  node [
    id 167
    label "167"
    x -1.2973
    x -1.8225
    x -2.277
    x 0.7768
    x -0.32
    x -2.7727
    x -1.2755
    x -0.2748
    community "green"
  ]
  node [
    id 168
    label "168"
    x 0.5341
    x -0.7966
    x 1.6013
    x 1.2491
    x -4.4966
    x -0.6534
    x 1.5256
    x -2.4904
    community "green"
  ]
  node [
    id 169
    label "169"
    x -4.8983
    x -0.0762
    x 1.8611
    x 3.2662
    x -5.312
    x 5.1974
    x -1.559
    x 0.5697
    community "green"
  ]
  node [
    id 170
    label "170"
    x 1.8479
    x 2.4559
    x 0.6561
    x -2.2174
    x 0.3226
    x -1.4597
    x -4.3501
    x 4.3136
    community "green"
  ]
  node [
    id 171
    label "171"
    x 0.7957
    x 4.126
    x -1.4664
    x 3.0404
    x 2.2493
    x 3.0798
    x 0.6529
    x -3.7491
    community "green"
  ]
  node [
    id 172
    label "172"
    x -0.9751
    x -3.9157
    x -3.0471
    x 0.2893
    x -2.9133
    x -0.3581
    x 0.4773
    x 2.5172
    community "green"
  ]
  node [
    id 173
    label "173"
    x 1.9748
    x 0.4001
    x 2.7747
    x -1.454
    x -1.6043
    x 1.7912
    x -1.788
    x -1.9022
    community "green"
  ]
  node [
    id 174
    label "174"
    x -3.2622
    x 0.7248
    x 3.6219
    x -1.3988
    x -0.4787
    x -1.8239
    x -1.6038
    x -3.8159
    community "green"
  ]
  node [
    id 175
    label "175"
    x 2.289
    x 5.2147
    x 1.323
    x -1.3272
    x 0.4793
    x -0.6979
    x 2.2981
    x -0.7622
    community "green"
  ]
  node [
    id 176
    label "176"
    x -0.0611
    x 1.7044
    x -0.8021
    x -0.7033
    x -4.373
    x -0.913
    x -2.1494
    x -1.6336
  ]
  node [
    id 177
    label "177"
    x -2.5357
    x 0.6923
    x 1.2634
    x -2.7348
    x -2.557
    x -1.9159
    x 2.1883
    x 2.0685
  ]
  node [
    id 178
    label "178"
    x 1.0826
    x -0.209
    x 3.2869
    x -2.9228
    x 2.0682
    x -1.3417
    x -4.8653
    x 3.9574
  ]
  node [
    id 179
    label "179"
    x 2.5356
    x -1.5739
    x 0.6949
    x -0.3236
    x -0.726
    x -2.9958
    x -0.6677
    x -0.4083
  ]
  node [
    id 180
    label "180"
    x -0.1751
    x 2.8883
    x 0.5164
    x 4.8039
    x -2.3619
    x 0.4894
    x -3.1373
    x -3.8505
  ]
  node [
    id 181
    label "181"
    x 2.0366
    x -1.3958
    x 1.4182
    x -0.0181
    x -3.0196
    x -0.7258
    x -0.3332
    x -2.3189
    community "green"
  ]
  node [
    id 182
    label "182"
    x 0.8867
    x 1.7945
    x -0.798
    x -1.7088
    x -0.3658
    x -0.2293
    x 2.7519
    x 3.9664
    community "green"
  ]
  node [
    id 183
    label "183"
    x 1.0654
    x 0.4204
    x 0.0128
    x -1.608
    x -2.7438
    x -2.0361
    x -0.0954
    x -2.1985
    community "green"
  ]
  node [
    id 184
    label "184"
    x 0.867
    x -0.3082
    x -0.038
    x -2.3311
    x 2.3587
    x 0.9847
    x 4.273
    x 0.2496
    community "green"
  ]
  node [
    id 185
    label "185"
    x 2.3588
    x -0.0071
    x 1.7912
    x 5.5164
    x -3.3775
    x 2.3233
    x 4.0912
    x -0.502
  ]
  node [
    id 186
    label "186"
    x 0.9099
    x 3.0491
    x -0.9837
    x 0.9402
    x -2.7065
    x -1.4117
    x -0.5678
    x -1.6368
    community "green"
  ]
  node [
    id 187
    label "187"
    x -0.3209
    x 1.4159
    x -2.5449
    x 4.159
    x 1.4366
    x 1.4579
    x -0.0378
    x -1.5268
    community "green"
  ]
  node [
    id 188
    label "188"
    x 0.5019
    x 1.3327
    x -3.0852
    x 1.624
    x 5.046
    x -3.8158
    x 2.7347
    x -0.5872
    community "green"
  ]
  node [
    id 189
    label "189"
    x -0.8493
    x 3.3039
    x -2.0703
    x 0.4396
    x 2.0734
    x -0.4334
    x -0.1632
    x -1.1083
    community "green"
  ]
  node [
    id 190
    label "190"
    x -1.534
    x 3.6682
    x -1.5068
    x 1.8993
    x -3.5038
    x 1.3459
    x 0.4797
    x -6.6545
    community "green"
  ]
  node [
    id 191
    label "191"
    x -0.6328
    x -1.7037
    x -0.5567
    x 3.2685
    x -3.2276
    x -2.2092
    x 3.6571
    x -1.1058
    community "green"
  ]
  node [
    id 192
    label "192"
    x 2.549
    x 1.1551
    x -1.4572
    x -0.0309
    x 1.5978
    x 1.9058
    x 0.6971
    x -1.2439
  ]
  node [
    id 193
    label "193"
    x -0.8519
    x -0.6995
    x 4.3286
    x 0.1202
    x -3.2563
    x -1.0101
    x 2.1889
    x -0.0251
    community "green"
  ]
  node [
    id 194
    label "194"
    x -0.9025
    x -0.8847
    x 0.4061
    x -3.336
    x -3.6074
    x 1.6135
    x -0.2902
    x -0.5732
    community "green"
  ]
  node [
    id 195
    label "195"
    x 1.8847
    x 1.8257
    x 0.3993
    x 4.4814
    x 0.4425
    x -0.7582
    x 2.2007
    x -0.5055
    community "green"
  ]
  node [
    id 196
    label "196"
    x -2.3804
    x 0.6399
    x 0.0176
    x -3.9377
    x -1.285
    x -0.6114
    x -0.206
    x -4.7264
  ]
  node [
    id 197
    label "197"
    x -1.3498
    x 0.4082
    x 0.5665
    x -2.2293
    x 0.37
    x -2.5286
    x 0.2352
    x 1.3391
  ]
  node [
    id 198
    label "198"
    x -2.044
    x -0.5602
    x 2.5636
    x -0.684
    x -1.541
    x 0.4255
    x 2.8521
    x -5.8735
    community "green"
  ]
  node [
    id 199
    label "199"
    x -2.3228
    x -1.58
    x -1.8719
    x -1.6502
    x -2.6536
    x 0.5892
    x -1.129
    x -1.093
    community "green"
  ]
  node [
    id 200
    label "200"
    x 0.3652
    x -3.3973
    x -1.0218
    x 1.5133
    x 0.425
    x -2.5734
    x 0.1382
    x -1.7191
    community "blue"
  ]
  node [
    id 201
    label "201"
    x 0.0967
    x -0.1363
    x -2.9654
    x -2.2696
    x 2.0395
    x -2.2844
    x 0.6555
    x -1.9355
    community "blue"
  ]
  node [
    id 202
    label "202"
    x -2.1312
    x -2.9481
    x 3.0631
    x -2.6598
    x -1.295
    x -2.3938
    x -0.0599
    x 1.4686
    community "blue"
  ]
  node [
    id 203
    label "203"
    x -0.0786
    x 2.2144
    x -0.8619
    x 1.0531
    x 0.3183
    x -0.0563
    x -2.6159
    x -0.0974
    community "blue"
  ]
  node [
    id 204
    label "204"
    x -0.5955
    x -2.3871
    x -5.5953
    x -0.0805
    x -1.0094
    x -2.1436
    x -0.2391
    x -0.2994
    community "blue"
  ]
  node [
    id 205
    label "205"
    x 0.3566
    x -4.4433
    x -3.1516
    x -1.2605
    x 0.0561
    x -2.0208
    x -0.8766
    x -1.5121
  ]
  node [
    id 206
    label "206"
    x -0.5743
    x 0.4602
    x -3.4056
    x 1.2049
    x 1.4529
    x -2.1734
    x 1.8374
    x -2.7751
    community "blue"
  ]
  node [
    id 207
    label "207"
    x -3.9208
    x -4.4808
    x -2.109
    x -2.4926
    x -1.2654
    x -1.0686
    x -3.999
    x 1.1474
    community "blue"
  ]
  node [
    id 208
    label "208"
    x -3.2962
    x -3.2229
    x -2.1152
    x -4.1542
    x -2.9771
    x -3.2796
    x 0.2474
    x 1.3367
    community "blue"
  ]
  node [
    id 209
    label "209"
    x 0.6709
    x -3.8902
    x -2.8727
    x -3.6829
    x 0.6645
    x -5.3423
    x 2.7479
    x -0.8129
    community "blue"
  ]
  node [
    id 210
    label "210"
    x -2.0247
    x -1.2223
    x 0.7757
    x -1.1566
    x 1.8704
    x -0.9987
    x 2.7305
    x 2.6471
    community "blue"
  ]
  node [
    id 211
    label "211"
    x -0.6566
    x 0.9772
    x -0.9601
    x -1.6679
    x -2.078
    x -1.845
    x 1.8264
    x -2.4685
  ]
  node [
    id 212
    label "212"
    x 0.8416
    x -1.204
    x -0.7344
    x -6.2547
    x -0.4416
    x 0.0291
    x -1.2546
    x 0.3374
  ]
  node [
    id 213
    label "213"
    x -5.2138
    x -0.5584
    x -2.6144
    x -0.099
    x -3.9207
    x 0.1171
    x -0.2026
    x 1.772
    community "blue"
  ]
  node [
    id 214
    label "214"
    x -2.309
    x -3.1381
    x 3.1954
    x -3.5016
    x -1.6471
    x -1.8206
    x -1.7739
    x 2.5377
    community "blue"
  ]
  node [
    id 215
    label "215"
    x 2.9924
    x -3.3094
    x -4.7416
    x 0.5022
    x 1.9817
    x 0.3759
    x 2.5843
    x -1.5783
    community "blue"
  ]
  node [
    id 216
    label "216"
    x -0.7946
    x -4.6694
    x -4.1259
    x 0.1205
    x -1.5789
    x 3.2917
    x 0.4196
    x -1.1241
    community "blue"
  ]
  node [
    id 217
    label "217"
    x 1.1382
    x 1.7013
    x -0.3173
    x -4.276
    x 0.5069
    x 1.4837
    x -0.7152
    x -1.3905
    community "blue"
  ]
  node [
    id 218
    label "218"
    x 1.5753
    x -1.6213
    x -3.4946
    x -2.6012
    x -1.7464
    x -0.6749
    x 0.4906
    x 2.4576
    community "blue"
  ]
  node [
    id 219
    label "219"
    x 0.9617
    x -5.0283
    x -0.4756
    x -0.0479
    x 0.6767
    x 0.7927
    x -0.8279
    x -1.7449
    community "blue"
  ]
  node [
    id 220
    label "220"
    x 1.4025
    x -4.0322
    x -5.6086
    x 0.2089
    x -1.6835
    x -1.8796
    x -2.5247
    x -2.4943
    community "blue"
  ]
  node [
    id 221
    label "221"
    x -2.7708
    x -2.6225
    x -0.5495
    x -6.4374
    x 1.2693
    x -3.6314
    x -1.8614
    x 1.5125
    community "blue"
  ]
  node [
    id 222
    label "222"
    x -0.6069
    x -4.9741
    x 2.3996
    x -3.563
    x 0.2595
    x -0.8677
    x 3.0939
    x -0.7546
    community "blue"
  ]
  node [
    id 223
    label "223"
    x 1.5586
    x -3.385
    x 0.9547
    x -3.3677
    x -0.9595
    x 2.5245
    x 0.9052
    x 0.3763
  ]
  node [
    id 224
    label "224"
    x 4.0265
    x -1.1785
    x -2.9218
    x -0.3725
    x -2.5985
    x 0.9892
    x 2.6832
    x -0.9892
    community "blue"
  ]
  node [
    id 225
    label "225"
    x -1.7134
    x -1.5482
    x -1.2612
    x -3.7971
    x 0.9011
    x -5.3512
    x -0.5945
    x -0.6511
    community "blue"
  ]
  node [
    id 226
    label "226"
    x -1.0041
    x -1.2868
    x -3.7456
    x -0.6647
    x -0.5954
    x -2.5679
    x -2.4624
    x -2.2095
    community "blue"
  ]
  node [
    id 227
    label "227"
    x 0.263
    x -3.8289
    x -1.1611
    x 0.2822
    x 1.8302
    x 1.8533
    x -0.3213
    x -2.0135
    community "blue"
  ]
  node [
    id 228
    label "228"
    x 1.5834
    x -1.282
    x 0.9584
    x -1.8196
    x 2.1562
    x 0.4253
    x 1.7041
    x 1.1638
    community "blue"
  ]
  node [
    id 229
    label "229"
    x 0.3378
    x -1.4352
    x -0.8377
    x 0.1387
    x -1.2591
    x 2.2039
    x 0.0588
    x 2.1275
    community "blue"
  ]
  node [
    id 230
    label "230"
    x -0.6381
    x -2.3946
    x 2.7749
    x -2.4604
    x -2.7895
    x -2.6956
    x -0.3632
    x 4.4671
    community "blue"
  ]
  node [
    id 231
    label "231"
    x -0.0441
    x -0.0318
    x -3.2927
    x -1.1365
    x 1.1079
    x 2.3358
    x -1.1213
    x 1.3637
    community "blue"
  ]
  node [
    id 232
    label "232"
    x 0.1476
    x -3.9447
    x -1.3285
    x -2.3687
    x -4.8858
    x -0.0701
    x 1.3518
    x -0.7211
  ]
  node [
    id 233
    label "233"
    x -3.1347
    x 1.0585
    x -0.7575
    x 0.1917
    x 2.5856
    x -2.3093
    x 1.8956
    x -0.3255
  ]
  node [
    id 234
    label "234"
    x -0.5827
    x -2.0725
    x -1.2922
    x 0.3862
    x 0.0126
    x -1.5749
    x -0.2818
    x 0.8394
    community "blue"
  ]
  node [
    id 235
    label "235"
    x -2.2474
    x -2.9065
    x -1.3941
    x -2.9734
    x -0.472
    x -2.489
    x 4.2792
    x 2.8149
    community "blue"
  ]
  node [
    id 236
    label "236"
    x 0.4423
    x -2.0085
    x 3.092
    x -1.1958
    x -0.4088
    x -0.6612
    x 0.8832
    x 2.9774
  ]
  node [
    id 237
    label "237"
    x -0.4955
    x 2.2974
    x -3.0536
    x -0.4536
    x -2.2387
    x 2.3668
    x -0.3899
    x 0.0404
    community "blue"
  ]
  node [
    id 238
    label "238"
    x 1.3909
    x 0.6095
    x -3.5133
    x -2.5341
    x -3.0249
    x -0.9928
    x 0.0685
    x -0.5411
    community "blue"
  ]
  node [
    id 239
    label "239"
    x -1.8265
    x -2.673
    x -2.7823
    x -0.7838
    x 2.7968
    x -5.1289
    x 0.0393
    x -0.6796
  ]
  node [
    id 240
    label "240"
    x 0.5271
    x -3.8048
    x -1.5824
    x -3.9209
    x 1.1583
    x -1.0689
    x -0.0517
    x 0.8971
    community "blue"
  ]
  node [
    id 241
    label "241"
    x -0.9506
    x -5.0089
    x -0.0981
    x -1.2652
    x -0.5433
    x 0.7024
    x 2.7083
    x -2.0278
    community "blue"
  ]
  node [
    id 242
    label "242"
    x -2.0198
    x 1.1933
    x 1.5482
    x -3.3185
    x -2.5965
    x -2.5426
    x -0.725
    x -3.0114
    community "blue"
  ]
  node [
    id 243
    label "243"
    x -0.3953
    x -4.4616
    x -3.7103
    x -0.0095
    x -1.6015
    x -1.4104
    x 1.5295
    x 1.7832
    community "blue"
  ]
  node [
    id 244
    label "244"
    x -1.1317
    x -1.813
    x -2.9403
    x 1.653
    x 1.0648
    x -3.4739
    x 0.2794
    x 1.5839
    community "blue"
  ]
  node [
    id 245
    label "245"
    x 0.5012
    x 1.7571
    x 1.4551
    x -2.9203
    x -0.4135
    x -3.8305
    x 0.7702
    x 0.4588
    community "blue"
  ]
  node [
    id 246
    label "246"
    x 4.9493
    x -1.7061
    x -5.476
    x -3.1859
    x -0.0104
    x -3.7795
    x -1.4632
    x -0.5745
    community "blue"
  ]
  node [
    id 247
    label "247"
    x 0.226
    x -2.2319
    x -3.068
    x -0.2664
    x -1.3144
    x -2.2661
    x -2.488
    x -1.4153
    community "blue"
  ]
  node [
    id 248
    label "248"
    x 0.8459
    x -5.1365
    x -1.4319
    x -0.4063
    x -0.9893
    x -0.7879
    x -1.9623
    x 2.7773
    community "blue"
  ]
  node [
    id 249
    label "249"
    x 1.7445
    x -1.4302
    x -4.7997
    x -3.9337
    x 1.7183
    x 2.1588
    x 0.8645
    x 2.6514
    community "blue"
  ]
  node [
    id 250
    label "250"
    x -1.6731
    x -2.28
    x -1.2872
    x -0.9955
    x -3.2927
    x 0.6139
    x 2.9164
    x -2.1407
    community "blue"
  ]
  node [
    id 251
    label "251"
    x -3.1683
    x -1.2001
    x -2.5982
    x -6.5834
    x 1.3821
    x -0.9563
    x -0.682
    x 4.3836
  ]
  node [
    id 252
    label "252"
    x -0.1798
    x -3.4081
    x -1.0872
    x -3.9219
    x -1.7585
    x -0.4947
    x -0.8371
    x -0.7452
    community "blue"
  ]
  node [
    id 253
    label "253"
    x 2.8803
    x -0.1819
    x 0.3161
    x -0.7841
    x 0.7333
    x 1.6457
    x 0.2322
    x 3.8678
    community "blue"
  ]
  node [
    id 254
    label "254"
    x -2.3604
    x -2.4113
    x -4.0467
    x -2.5293
    x 0.8018
    x 1.635
    x -1.0554
    x 0.1674
    community "blue"
  ]
  node [
    id 255
    label "255"
    x -1.176
    x -3.3784
    x -3.6683
    x -1.7204
    x -3.6992
    x -1.0464
    x 0.3132
    x -1.1587
    community "blue"
  ]
  node [
    id 256
    label "256"
    x -2.4794
    x -4.6698
    x 2.4531
    x -4.5257
    x 2.8803
    x -0.0671
    x -0.4568
    x -2.1574
    community "blue"
  ]
  node [
    id 257
    label "257"
    x 1.6274
    x 1.5581
    x -3.1576
    x -2.4392
    x 1.8682
    x -0.5959
    x 4.2712
    x -0.9835
    community "blue"
  ]
  node [
    id 258
    label "258"
    x 0.627
    x -4.4031
    x 2.9022
    x -3.3024
    x -4.651
    x -1.519
    x -0.0076
    x 3.9879
    community "blue"
  ]
  node [
    id 259
    label "259"
    x -1.1353
    x -1.9265
    x -0.1027
    x 1.3308
    x -0.3616
    x 0.8115
    x 1.3074
    x -0.4357
  ]
  node [
    id 260
    label "260"
    x -0.3025
    x -1.8439
    x -3.1216
    x 0.5856
    x -3.0063
    x 1.0749
    x 2.1801
    x -0.0293
    community "blue"
  ]
  node [
    id 261
    label "261"
    x -1.9885
    x -2.3541
    x -0.344
    x -0.3556
    x 0.3387
    x 0.7168
    x -0.8436
    x 0.6259
    community "blue"
  ]
  node [
    id 262
    label "262"
    x -3.5943
    x -0.374
    x -0.9832
    x -2.6729
    x 2.088
    x 0.1156
    x -5.3615
    x 0.2365
    community "blue"
  ]
  node [
    id 263
    label "263"
    x -3.3677
    x 0.2321
    x 3.6886
    x -2.8788
    x -0.0859
    x -1.7695
    x 0.9729
    x 1.4458
    community "blue"
  ]
  node [
    id 264
    label "264"
    x 2.1168
    x -3.8761
    x 1.8537
    x -3.7048
    x 0.3191
    x 1.0497
    x 1.6977
    x -1.7204
  ]
  node [
    id 265
    label "265"
    x -1.8615
    x -2.8259
    x -1.3919
    x 0.4522
    x -2.8187
    x -0.334
    x 1.4912
    x 1.2733
    community "blue"
  ]
  node [
    id 266
    label "266"
    x 0.475
    x 1.1354
    x -0.3139
    x -0.1278
    x 0.892
    x 2.3188
    x -3.5283
    x 2.721
    community "blue"
  ]
  node [
    id 267
    label "267"
    x -0.9797
    x -2.4627
    x -3.2285
    x -5.5791
    x -0.9989
    x -2.642
    x 1.2596
    x -2.7878
    community "blue"
  ]
  node [
    id 268
    label "268"
    x 2.4056
    x -1.3574
    x -1.7853
    x -3.2606
    x -1.8095
    x -3.5276
    x -0.8175
    x 0.1689
    community "blue"
  ]
  node [
    id 269
    label "269"
    x -0.8123
    x -4.7302
    x -1.8212
    x -3.6281
    x 0.0847
    x 2.4619
    x 1.5213
    x -0.4695
    community "blue"
  ]
  node [
    id 270
    label "270"
    x -3.7074
    x -4.7307
    x -4.663
    x -0.3898
    x -1.7652
    x -1.1422
    x -0.9728
    x 0.3391
  ]
  node [
    id 271
    label "271"
    x 2.3457
    x -3.2711
    x -1.9714
    x -3.4544
    x 1.5141
    x -3.3189
    x -1.9947
    x -2.6186
  ]
  node [
    id 272
    label "272"
    x -3.2746
    x -0.9594
    x 3.8487
    x -3.8325
    x 1.668
    x -0.7652
    x -1.9328
    x -0.3966
    community "blue"
  ]
  node [
    id 273
    label "273"
    x -0.9234
    x -3.2826
    x 2.5717
    x -5.654
    x 0.527
    x -0.6044
    x -0.888
    x 0.4558
    community "blue"
  ]
  node [
    id 274
    label "274"
    x 1.2976
    x -1.5958
    x -0.4549
    x -0.4559
    x -4.2992
    x 1.6893
    x 4.8279
    x 2.1183
    community "blue"
  ]
  node [
    id 275
    label "275"
    x 1.5697
    x -4.7177
    x -1.5264
    x -3.4658
    x -1.4095
    x 0.6666
    x -1.3365
    x -0.1035
    community "blue"
  ]
  node [
    id 276
    label "276"
    x -4.2748
    x -2.2181
    x -1.1095
    x -3.2513
    x -1.6749
    x 2.5054
    x -2.1482
    x -1.9445
    community "blue"
  ]
  node [
    id 277
    label "277"
    x -2.0756
    x 0.4964
    x 2.9135
    x -1.1774
    x -1.6697
    x -2.1229
    x 2.4009
    x -1.6654
    community "blue"
  ]
  node [
    id 278
    label "278"
    x 2.4483
    x 0.9319
    x -1.1491
    x -0.5495
    x 1.2644
    x 1.841
    x -1.8316
    x 2.5192
    community "blue"
  ]
  node [
    id 279
    label "279"
    x -1.2081
    x -3.4367
    x -1.0842
    x -2.2704
    x -2.2101
    x -4.4621
    x -1.6129
    x 3.0615
    community "blue"
  ]
  node [
    id 280
    label "280"
    x 3.4675
    x -0.601
    x 1.0823
    x -2.8754
    x -0.3894
    x -0.7019
    x -1.8913
    x -1.8231
    community "blue"
  ]
  node [
    id 281
    label "281"
    x -0.2633
    x -2.5418
    x -3.4167
    x -1.0687
    x -0.7616
    x 0.7753
    x 0.2609
    x -0.4439
    community "blue"
  ]
  node [
    id 282
    label "282"
    x -0.2023
    x -2.2452
    x -2.6256
    x -2.6456
    x 1.2637
    x 0.0256
    x 2.8437
    x -3.2292
    community "blue"
  ]
  node [
    id 283
    label "283"
    x -1.2438
    x -2.7304
    x -0.946
    x -2.746
    x -1.2615
    x 0.2985
    x 0.6274
    x -2.176
  ]
  node [
    id 284
    label "284"
    x 2.2114
    x 0.0923
    x -2.4375
    x -0.1792
    x -1.7054
    x 0.984
    x -0.1644
    x -1.4489
    community "blue"
  ]
  node [
    id 285
    label "285"
    x -1.2038
    x -3.4329
    x -0.9053
    x -1.4915
    x -0.1635
    x -2.3807
    x -7.0509
    x 0.3424
    community "blue"
  ]
  node [
    id 286
    label "286"
    x -4.2501
    x -1.4128
    x 0.972
    x -1.294
    x -1.014
    x -1.6272
    x 0.0051
    x -0.9417
    community "blue"
  ]
  node [
    id 287
    label "287"
    x -1.6252
    x -3.749
    x 1.0868
    x -1.8728
    x 1.6775
    x -1.7675
    x 0.4156
    x -0.184
    community "blue"
  ]
  node [
    id 288
    label "288"
    x 0.4681
    x -0.248
    x -0.8101
    x -3.1894
    x -1.795
    x 2.0509
    x -0.2888
    x -0.4255
    community "blue"
  ]
  node [
    id 289
    label "289"
    x 2.4724
    x 0.2745
    x -0.2219
    x -2.6405
    x 4.4713
    x -0.4815
    x 1.3652
    x -0.1855
    community "blue"
  ]
  node [
    id 290
    label "290"
    x -3.2862
    x -4.5707
    x -0.4756
    x -1.0581
    x -0.7151
    x -3.6108
    x -2.6121
    x -0.499
    community "blue"
  ]
  node [
    id 291
    label "291"
    x -3.3699
    x -0.1034
    x 1.0158
    x 3.8163
    x 1.5215
    x -2.4531
    x -1.4721
    x -6.7467
    community "blue"
  ]
  node [
    id 292
    label "292"
    x -1.6474
    x -2.2552
    x 0.6461
    x -0.6185
    x 0.9416
    x -0.8402
    x 1.5931
    x 3.052
  ]
  node [
    id 293
    label "293"
    x -2.5874
    x -2.8158
    x -4.0666
    x 1.3956
    x 2.3586
    x 0.2371
    x -2.1258
    x 0.5026
    community "blue"
  ]
  node [
    id 294
    label "294"
    x -0.9269
    x -1.7396
    x -1.6658
    x -0.8018
    x -1.0248
    x 0.4417
    x 0.7541
    x -0.4294
    community "blue"
  ]
  node [
    id 295
    label "295"
    x -0.6813
    x -2.7824
    x 0.3382
    x -2.3847
    x 0.3547
    x -2.0523
    x -2.6989
    x 1.969
  ]
  node [
    id 296
    label "296"
    x -2.5739
    x -0.5429
    x -0.4492
    x -5.1538
    x -2.1245
    x -2.2956
    x -1.3702
    x -2.2074
  ]
  node [
    id 297
    label "297"
    x 1.0226
    x -2.3802
    x -0.5182
    x -2.7028
    x 0.3756
    x -2.7697
    x 0.2182
    x 1.3204
    community "blue"
  ]
  node [
    id 298
    label "298"
    x -0.3675
    x -2.8154
    x -3.4629
    x -1.5065
    x 0.4548
    x -1.7842
    x -1.2674
    x 1.2419
    community "blue"
  ]
  node [
    id 299
    label "299"
    x 4.5058
    x -2.5061
    x -0.6161
    x -1.0869
    x -5.368
    x -1.0197
    x -1.1418
    x 2.9261
    community "blue"
  ]
  edge [
    source 0
    target 9
  ]
  edge [
    source 0
    target 57
  ]
  edge [
    source 0
    target 79
  ]
  edge [
    source 0
    target 117
  ]
  edge [
    source 1
    target 9
  ]
  edge [
    source 1
    target 33
  ]
  edge [
    source 1
    target 37
  ]
  edge [
    source 1
    target 55
  ]
  edge [
    source 1
    target 60
  ]
  edge [
    source 1
    target 82
  ]
  edge [
    source 1
    target 83
  ]
  edge [
    source 1
    target 234
  ]
  edge [
    source 1
    target 243
  ]
  edge [
    source 2
    target 33
  ]
  edge [
    source 2
    target 59
  ]
  edge [
    source 2
    target 62
  ]
  edge [
    source 3
    target 29
  ]
  edge [
    source 3
    target 32
  ]
  edge [
    source 3
    target 42
  ]
  edge [
    source 3
    target 85
  ]
  edge [
    source 3
    target 87
  ]
  edge [
    source 3
    target 282
  ]
  edge [
    source 4
    target 37
  ]
  edge [
    source 4
    target 43
  ]
  edge [
    source 4
    target 48
  ]
  edge [
    source 4
    target 80
  ]
  edge [
    source 4
    target 90
  ]
  edge [
    source 4
    target 138
  ]
  edge [
    source 5
    target 24
  ]
  edge [
    source 5
    target 39
  ]
  edge [
    source 5
    target 60
  ]
  edge [
    source 5
    target 61
  ]
  edge [
    source 5
    target 69
  ]
  edge [
    source 5
    target 233
  ]
  edge [
    source 6
    target 67
  ]
  edge [
    source 6
    target 68
  ]
  edge [
    source 6
    target 73
  ]
  edge [
    source 6
    target 90
  ]
  edge [
    source 7
    target 15
  ]
  edge [
    source 7
    target 27
  ]
  edge [
    source 7
    target 35
  ]
  edge [
    source 7
    target 75
  ]
  edge [
    source 7
    target 81
  ]
  edge [
    source 7
    target 99
  ]
  edge [
    source 8
    target 13
  ]
  edge [
    source 8
    target 27
  ]
  edge [
    source 8
    target 32
  ]
  edge [
    source 8
    target 57
  ]
  edge [
    source 8
    target 223
  ]
  edge [
    source 9
    target 35
  ]
  edge [
    source 9
    target 65
  ]
  edge [
    source 9
    target 73
  ]
  edge [
    source 9
    target 135
  ]
  edge [
    source 9
    target 187
  ]
  edge [
    source 10
    target 29
  ]
  edge [
    source 10
    target 42
  ]
  edge [
    source 10
    target 94
  ]
  edge [
    source 11
    target 43
  ]
  edge [
    source 11
    target 44
  ]
  edge [
    source 11
    target 53
  ]
  edge [
    source 11
    target 54
  ]
  edge [
    source 11
    target 74
  ]
  edge [
    source 11
    target 90
  ]
  edge [
    source 12
    target 19
  ]
  edge [
    source 12
    target 28
  ]
  edge [
    source 12
    target 44
  ]
  edge [
    source 12
    target 72
  ]
  edge [
    source 12
    target 77
  ]
  edge [
    source 12
    target 96
  ]
  edge [
    source 13
    target 23
  ]
  edge [
    source 13
    target 33
  ]
  edge [
    source 13
    target 45
  ]
  edge [
    source 13
    target 49
  ]
  edge [
    source 13
    target 76
  ]
  edge [
    source 14
    target 45
  ]
  edge [
    source 14
    target 90
  ]
  edge [
    source 15
    target 32
  ]
  edge [
    source 15
    target 70
  ]
  edge [
    source 15
    target 89
  ]
  edge [
    source 15
    target 90
  ]
  edge [
    source 15
    target 116
  ]
  edge [
    source 16
    target 45
  ]
  edge [
    source 16
    target 57
  ]
  edge [
    source 16
    target 66
  ]
  edge [
    source 17
    target 19
  ]
  edge [
    source 17
    target 38
  ]
  edge [
    source 17
    target 55
  ]
  edge [
    source 17
    target 61
  ]
  edge [
    source 17
    target 72
  ]
  edge [
    source 17
    target 73
  ]
  edge [
    source 17
    target 80
  ]
  edge [
    source 17
    target 98
  ]
  edge [
    source 17
    target 99
  ]
  edge [
    source 17
    target 210
  ]
  edge [
    source 18
    target 62
  ]
  edge [
    source 19
    target 43
  ]
  edge [
    source 19
    target 44
  ]
  edge [
    source 19
    target 57
  ]
  edge [
    source 19
    target 83
  ]
  edge [
    source 19
    target 136
  ]
  edge [
    source 20
    target 32
  ]
  edge [
    source 20
    target 35
  ]
  edge [
    source 20
    target 90
  ]
  edge [
    source 20
    target 94
  ]
  edge [
    source 21
    target 50
  ]
  edge [
    source 21
    target 61
  ]
  edge [
    source 21
    target 80
  ]
  edge [
    source 21
    target 87
  ]
  edge [
    source 21
    target 91
  ]
  edge [
    source 21
    target 109
  ]
  edge [
    source 21
    target 206
  ]
  edge [
    source 22
    target 66
  ]
  edge [
    source 22
    target 75
  ]
  edge [
    source 23
    target 46
  ]
  edge [
    source 23
    target 85
  ]
  edge [
    source 23
    target 181
  ]
  edge [
    source 24
    target 47
  ]
  edge [
    source 25
    target 33
  ]
  edge [
    source 25
    target 58
  ]
  edge [
    source 26
    target 43
  ]
  edge [
    source 26
    target 227
  ]
  edge [
    source 27
    target 36
  ]
  edge [
    source 27
    target 53
  ]
  edge [
    source 27
    target 58
  ]
  edge [
    source 27
    target 69
  ]
  edge [
    source 28
    target 86
  ]
  edge [
    source 28
    target 98
  ]
  edge [
    source 28
    target 133
  ]
  edge [
    source 28
    target 152
  ]
  edge [
    source 29
    target 37
  ]
  edge [
    source 29
    target 76
  ]
  edge [
    source 29
    target 80
  ]
  edge [
    source 29
    target 241
  ]
  edge [
    source 30
    target 52
  ]
  edge [
    source 30
    target 139
  ]
  edge [
    source 30
    target 257
  ]
  edge [
    source 31
    target 36
  ]
  edge [
    source 31
    target 73
  ]
  edge [
    source 31
    target 87
  ]
  edge [
    source 31
    target 93
  ]
  edge [
    source 31
    target 100
  ]
  edge [
    source 32
    target 49
  ]
  edge [
    source 32
    target 52
  ]
  edge [
    source 32
    target 66
  ]
  edge [
    source 32
    target 97
  ]
  edge [
    source 32
    target 201
  ]
  edge [
    source 32
    target 215
  ]
  edge [
    source 33
    target 60
  ]
  edge [
    source 33
    target 210
  ]
  edge [
    source 34
    target 35
  ]
  edge [
    source 34
    target 69
  ]
  edge [
    source 34
    target 78
  ]
  edge [
    source 34
    target 91
  ]
  edge [
    source 34
    target 146
  ]
  edge [
    source 34
    target 169
  ]
  edge [
    source 35
    target 87
  ]
  edge [
    source 35
    target 90
  ]
  edge [
    source 35
    target 264
  ]
  edge [
    source 35
    target 277
  ]
  edge [
    source 36
    target 40
  ]
  edge [
    source 36
    target 44
  ]
  edge [
    source 36
    target 49
  ]
  edge [
    source 36
    target 80
  ]
  edge [
    source 36
    target 98
  ]
  edge [
    source 36
    target 291
  ]
  edge [
    source 37
    target 55
  ]
  edge [
    source 38
    target 63
  ]
  edge [
    source 38
    target 146
  ]
  edge [
    source 38
    target 171
  ]
  edge [
    source 38
    target 244
  ]
  edge [
    source 38
    target 281
  ]
  edge [
    source 39
    target 46
  ]
  edge [
    source 39
    target 88
  ]
  edge [
    source 39
    target 194
  ]
  edge [
    source 39
    target 281
  ]
  edge [
    source 40
    target 102
  ]
  edge [
    source 40
    target 167
  ]
  edge [
    source 41
    target 62
  ]
  edge [
    source 41
    target 96
  ]
  edge [
    source 41
    target 182
  ]
  edge [
    source 42
    target 60
  ]
  edge [
    source 42
    target 96
  ]
  edge [
    source 42
    target 236
  ]
  edge [
    source 43
    target 50
  ]
  edge [
    source 43
    target 73
  ]
  edge [
    source 43
    target 140
  ]
  edge [
    source 43
    target 180
  ]
  edge [
    source 43
    target 262
  ]
  edge [
    source 44
    target 95
  ]
  edge [
    source 44
    target 97
  ]
  edge [
    source 45
    target 82
  ]
  edge [
    source 45
    target 183
  ]
  edge [
    source 46
    target 67
  ]
  edge [
    source 46
    target 263
  ]
  edge [
    source 46
    target 271
  ]
  edge [
    source 49
    target 67
  ]
  edge [
    source 49
    target 75
  ]
  edge [
    source 49
    target 89
  ]
  edge [
    source 49
    target 91
  ]
  edge [
    source 50
    target 88
  ]
  edge [
    source 50
    target 223
  ]
  edge [
    source 50
    target 230
  ]
  edge [
    source 51
    target 72
  ]
  edge [
    source 51
    target 83
  ]
  edge [
    source 51
    target 87
  ]
  edge [
    source 51
    target 162
  ]
  edge [
    source 51
    target 185
  ]
  edge [
    source 52
    target 89
  ]
  edge [
    source 52
    target 93
  ]
  edge [
    source 52
    target 139
  ]
  edge [
    source 53
    target 58
  ]
  edge [
    source 53
    target 71
  ]
  edge [
    source 53
    target 84
  ]
  edge [
    source 53
    target 86
  ]
  edge [
    source 53
    target 135
  ]
  edge [
    source 54
    target 65
  ]
  edge [
    source 54
    target 81
  ]
  edge [
    source 54
    target 109
  ]
  edge [
    source 55
    target 62
  ]
  edge [
    source 55
    target 92
  ]
  edge [
    source 56
    target 61
  ]
  edge [
    source 56
    target 74
  ]
  edge [
    source 56
    target 94
  ]
  edge [
    source 57
    target 59
  ]
  edge [
    source 57
    target 75
  ]
  edge [
    source 57
    target 174
  ]
  edge [
    source 57
    target 215
  ]
  edge [
    source 58
    target 63
  ]
  edge [
    source 59
    target 69
  ]
  edge [
    source 59
    target 72
  ]
  edge [
    source 59
    target 93
  ]
  edge [
    source 59
    target 166
  ]
  edge [
    source 60
    target 63
  ]
  edge [
    source 60
    target 83
  ]
  edge [
    source 60
    target 87
  ]
  edge [
    source 60
    target 115
  ]
  edge [
    source 60
    target 125
  ]
  edge [
    source 60
    target 145
  ]
  edge [
    source 61
    target 80
  ]
  edge [
    source 62
    target 78
  ]
  edge [
    source 63
    target 66
  ]
  edge [
    source 63
    target 79
  ]
  edge [
    source 64
    target 65
  ]
  edge [
    source 64
    target 70
  ]
  edge [
    source 64
    target 73
  ]
  edge [
    source 64
    target 78
  ]
  edge [
    source 65
    target 97
  ]
  edge [
    source 65
    target 102
  ]
  edge [
    source 65
    target 197
  ]
  edge [
    source 67
    target 91
  ]
  edge [
    source 67
    target 145
  ]
  edge [
    source 68
    target 268
  ]
  edge [
    source 69
    target 95
  ]
  edge [
    source 69
    target 171
  ]
  edge [
    source 70
    target 216
  ]
  edge [
    source 71
    target 95
  ]
  edge [
    source 73
    target 77
  ]
  edge [
    source 74
    target 93
  ]
  edge [
    source 74
    target 117
  ]
  edge [
    source 74
    target 211
  ]
  edge [
    source 75
    target 88
  ]
  edge [
    source 75
    target 281
  ]
  edge [
    source 78
    target 89
  ]
  edge [
    source 79
    target 96
  ]
  edge [
    source 79
    target 113
  ]
  edge [
    source 81
    target 85
  ]
  edge [
    source 81
    target 102
  ]
  edge [
    source 81
    target 214
  ]
  edge [
    source 81
    target 259
  ]
  edge [
    source 82
    target 94
  ]
  edge [
    source 82
    target 97
  ]
  edge [
    source 82
    target 179
  ]
  edge [
    source 82
    target 260
  ]
  edge [
    source 83
    target 255
  ]
  edge [
    source 83
    target 275
  ]
  edge [
    source 83
    target 277
  ]
  edge [
    source 84
    target 92
  ]
  edge [
    source 84
    target 274
  ]
  edge [
    source 85
    target 95
  ]
  edge [
    source 85
    target 99
  ]
  edge [
    source 85
    target 259
  ]
  edge [
    source 86
    target 108
  ]
  edge [
    source 88
    target 158
  ]
  edge [
    source 90
    target 106
  ]
  edge [
    source 90
    target 174
  ]
  edge [
    source 92
    target 106
  ]
  edge [
    source 95
    target 96
  ]
  edge [
    source 96
    target 98
  ]
  edge [
    source 96
    target 160
  ]
  edge [
    source 96
    target 191
  ]
  edge [
    source 99
    target 141
  ]
  edge [
    source 99
    target 152
  ]
  edge [
    source 99
    target 157
  ]
  edge [
    source 100
    target 106
  ]
  edge [
    source 100
    target 111
  ]
  edge [
    source 100
    target 155
  ]
  edge [
    source 101
    target 114
  ]
  edge [
    source 101
    target 166
  ]
  edge [
    source 101
    target 177
  ]
  edge [
    source 102
    target 141
  ]
  edge [
    source 102
    target 182
  ]
  edge [
    source 102
    target 185
  ]
  edge [
    source 102
    target 192
  ]
  edge [
    source 103
    target 107
  ]
  edge [
    source 103
    target 125
  ]
  edge [
    source 103
    target 149
  ]
  edge [
    source 103
    target 196
  ]
  edge [
    source 103
    target 251
  ]
  edge [
    source 104
    target 142
  ]
  edge [
    source 104
    target 151
  ]
  edge [
    source 104
    target 161
  ]
  edge [
    source 105
    target 111
  ]
  edge [
    source 105
    target 139
  ]
  edge [
    source 105
    target 173
  ]
  edge [
    source 105
    target 176
  ]
  edge [
    source 106
    target 119
  ]
  edge [
    source 106
    target 126
  ]
  edge [
    source 106
    target 155
  ]
  edge [
    source 106
    target 168
  ]
  edge [
    source 106
    target 184
  ]
  edge [
    source 106
    target 246
  ]
  edge [
    source 107
    target 129
  ]
  edge [
    source 107
    target 140
  ]
  edge [
    source 107
    target 144
  ]
  edge [
    source 107
    target 294
  ]
  edge [
    source 108
    target 174
  ]
  edge [
    source 108
    target 177
  ]
  edge [
    source 108
    target 180
  ]
  edge [
    source 108
    target 184
  ]
  edge [
    source 108
    target 197
  ]
  edge [
    source 108
    target 269
  ]
  edge [
    source 109
    target 161
  ]
  edge [
    source 109
    target 180
  ]
  edge [
    source 109
    target 190
  ]
  edge [
    source 110
    target 139
  ]
  edge [
    source 110
    target 150
  ]
  edge [
    source 110
    target 155
  ]
  edge [
    source 110
    target 178
  ]
  edge [
    source 111
    target 116
  ]
  edge [
    source 111
    target 166
  ]
  edge [
    source 112
    target 138
  ]
  edge [
    source 113
    target 119
  ]
  edge [
    source 113
    target 145
  ]
  edge [
    source 113
    target 162
  ]
  edge [
    source 113
    target 164
  ]
  edge [
    source 113
    target 174
  ]
  edge [
    source 113
    target 178
  ]
  edge [
    source 113
    target 200
  ]
  edge [
    source 114
    target 130
  ]
  edge [
    source 114
    target 136
  ]
  edge [
    source 114
    target 139
  ]
  edge [
    source 114
    target 166
  ]
  edge [
    source 115
    target 142
  ]
  edge [
    source 115
    target 155
  ]
  edge [
    source 115
    target 161
  ]
  edge [
    source 115
    target 176
  ]
  edge [
    source 116
    target 121
  ]
  edge [
    source 116
    target 126
  ]
  edge [
    source 116
    target 171
  ]
  edge [
    source 116
    target 178
  ]
  edge [
    source 117
    target 155
  ]
  edge [
    source 118
    target 121
  ]
  edge [
    source 118
    target 194
  ]
  edge [
    source 119
    target 189
  ]
  edge [
    source 119
    target 263
  ]
  edge [
    source 120
    target 127
  ]
  edge [
    source 120
    target 155
  ]
  edge [
    source 120
    target 196
  ]
  edge [
    source 121
    target 147
  ]
  edge [
    source 121
    target 172
  ]
  edge [
    source 121
    target 183
  ]
  edge [
    source 122
    target 140
  ]
  edge [
    source 122
    target 150
  ]
  edge [
    source 122
    target 159
  ]
  edge [
    source 122
    target 163
  ]
  edge [
    source 123
    target 152
  ]
  edge [
    source 123
    target 154
  ]
  edge [
    source 123
    target 156
  ]
  edge [
    source 123
    target 168
  ]
  edge [
    source 123
    target 173
  ]
  edge [
    source 123
    target 189
  ]
  edge [
    source 123
    target 197
  ]
  edge [
    source 123
    target 229
  ]
  edge [
    source 124
    target 129
  ]
  edge [
    source 124
    target 137
  ]
  edge [
    source 124
    target 146
  ]
  edge [
    source 124
    target 243
  ]
  edge [
    source 125
    target 140
  ]
  edge [
    source 125
    target 148
  ]
  edge [
    source 125
    target 150
  ]
  edge [
    source 125
    target 154
  ]
  edge [
    source 125
    target 161
  ]
  edge [
    source 125
    target 165
  ]
  edge [
    source 125
    target 183
  ]
  edge [
    source 126
    target 152
  ]
  edge [
    source 126
    target 195
  ]
  edge [
    source 126
    target 270
  ]
  edge [
    source 127
    target 137
  ]
  edge [
    source 127
    target 146
  ]
  edge [
    source 127
    target 160
  ]
  edge [
    source 127
    target 238
  ]
  edge [
    source 128
    target 176
  ]
  edge [
    source 128
    target 192
  ]
  edge [
    source 128
    target 218
  ]
  edge [
    source 129
    target 151
  ]
  edge [
    source 129
    target 152
  ]
  edge [
    source 129
    target 162
  ]
  edge [
    source 129
    target 191
  ]
  edge [
    source 130
    target 144
  ]
  edge [
    source 130
    target 158
  ]
  edge [
    source 130
    target 170
  ]
  edge [
    source 130
    target 179
  ]
  edge [
    source 130
    target 184
  ]
  edge [
    source 130
    target 268
  ]
  edge [
    source 131
    target 137
  ]
  edge [
    source 132
    target 137
  ]
  edge [
    source 132
    target 139
  ]
  edge [
    source 132
    target 200
  ]
  edge [
    source 133
    target 134
  ]
  edge [
    source 134
    target 145
  ]
  edge [
    source 135
    target 141
  ]
  edge [
    source 135
    target 174
  ]
  edge [
    source 135
    target 197
  ]
  edge [
    source 136
    target 138
  ]
  edge [
    source 136
    target 139
  ]
  edge [
    source 136
    target 146
  ]
  edge [
    source 136
    target 186
  ]
  edge [
    source 136
    target 187
  ]
  edge [
    source 136
    target 281
  ]
  edge [
    source 137
    target 175
  ]
  edge [
    source 138
    target 170
  ]
  edge [
    source 138
    target 173
  ]
  edge [
    source 138
    target 177
  ]
  edge [
    source 138
    target 205
  ]
  edge [
    source 139
    target 153
  ]
  edge [
    source 139
    target 174
  ]
  edge [
    source 139
    target 214
  ]
  edge [
    source 140
    target 157
  ]
  edge [
    source 140
    target 165
  ]
  edge [
    source 140
    target 177
  ]
  edge [
    source 141
    target 143
  ]
  edge [
    source 142
    target 143
  ]
  edge [
    source 142
    target 191
  ]
  edge [
    source 142
    target 274
  ]
  edge [
    source 143
    target 179
  ]
  edge [
    source 143
    target 190
  ]
  edge [
    source 143
    target 276
  ]
  edge [
    source 144
    target 159
  ]
  edge [
    source 144
    target 189
  ]
  edge [
    source 144
    target 199
  ]
  edge [
    source 145
    target 156
  ]
  edge [
    source 146
    target 148
  ]
  edge [
    source 146
    target 172
  ]
  edge [
    source 146
    target 174
  ]
  edge [
    source 146
    target 181
  ]
  edge [
    source 147
    target 166
  ]
  edge [
    source 147
    target 171
  ]
  edge [
    source 147
    target 181
  ]
  edge [
    source 148
    target 199
  ]
  edge [
    source 148
    target 269
  ]
  edge [
    source 148
    target 277
  ]
  edge [
    source 149
    target 154
  ]
  edge [
    source 149
    target 168
  ]
  edge [
    source 149
    target 189
  ]
  edge [
    source 150
    target 228
  ]
  edge [
    source 150
    target 249
  ]
  edge [
    source 151
    target 171
  ]
  edge [
    source 151
    target 194
  ]
  edge [
    source 151
    target 196
  ]
  edge [
    source 151
    target 250
  ]
  edge [
    source 152
    target 154
  ]
  edge [
    source 152
    target 155
  ]
  edge [
    source 153
    target 154
  ]
  edge [
    source 153
    target 161
  ]
  edge [
    source 153
    target 182
  ]
  edge [
    source 154
    target 163
  ]
  edge [
    source 154
    target 185
  ]
  edge [
    source 154
    target 189
  ]
  edge [
    source 155
    target 174
  ]
  edge [
    source 155
    target 177
  ]
  edge [
    source 155
    target 181
  ]
  edge [
    source 155
    target 234
  ]
  edge [
    source 156
    target 167
  ]
  edge [
    source 156
    target 212
  ]
  edge [
    source 157
    target 164
  ]
  edge [
    source 157
    target 198
  ]
  edge [
    source 157
    target 234
  ]
  edge [
    source 158
    target 169
  ]
  edge [
    source 158
    target 176
  ]
  edge [
    source 158
    target 183
  ]
  edge [
    source 158
    target 192
  ]
  edge [
    source 159
    target 277
  ]
  edge [
    source 160
    target 269
  ]
  edge [
    source 161
    target 185
  ]
  edge [
    source 161
    target 238
  ]
  edge [
    source 162
    target 163
  ]
  edge [
    source 162
    target 169
  ]
  edge [
    source 162
    target 199
  ]
  edge [
    source 162
    target 235
  ]
  edge [
    source 163
    target 195
  ]
  edge [
    source 164
    target 179
  ]
  edge [
    source 166
    target 215
  ]
  edge [
    source 166
    target 224
  ]
  edge [
    source 166
    target 248
  ]
  edge [
    source 167
    target 171
  ]
  edge [
    source 168
    target 184
  ]
  edge [
    source 168
    target 257
  ]
  edge [
    source 168
    target 276
  ]
  edge [
    source 168
    target 278
  ]
  edge [
    source 170
    target 173
  ]
  edge [
    source 171
    target 175
  ]
  edge [
    source 171
    target 181
  ]
  edge [
    source 171
    target 185
  ]
  edge [
    source 171
    target 244
  ]
  edge [
    source 173
    target 198
  ]
  edge [
    source 174
    target 181
  ]
  edge [
    source 175
    target 257
  ]
  edge [
    source 178
    target 188
  ]
  edge [
    source 178
    target 197
  ]
  edge [
    source 179
    target 181
  ]
  edge [
    source 179
    target 183
  ]
  edge [
    source 179
    target 198
  ]
  edge [
    source 179
    target 209
  ]
  edge [
    source 180
    target 185
  ]
  edge [
    source 180
    target 288
  ]
  edge [
    source 181
    target 182
  ]
  edge [
    source 181
    target 190
  ]
  edge [
    source 185
    target 271
  ]
  edge [
    source 186
    target 194
  ]
  edge [
    source 189
    target 230
  ]
  edge [
    source 190
    target 194
  ]
  edge [
    source 190
    target 208
  ]
  edge [
    source 193
    target 194
  ]
  edge [
    source 197
    target 199
  ]
  edge [
    source 200
    target 207
  ]
  edge [
    source 200
    target 254
  ]
  edge [
    source 200
    target 272
  ]
  edge [
    source 201
    target 227
  ]
  edge [
    source 201
    target 232
  ]
  edge [
    source 201
    target 271
  ]
  edge [
    source 202
    target 212
  ]
  edge [
    source 202
    target 234
  ]
  edge [
    source 202
    target 235
  ]
  edge [
    source 202
    target 237
  ]
  edge [
    source 202
    target 239
  ]
  edge [
    source 202
    target 259
  ]
  edge [
    source 203
    target 220
  ]
  edge [
    source 203
    target 234
  ]
  edge [
    source 203
    target 250
  ]
  edge [
    source 203
    target 287
  ]
  edge [
    source 204
    target 216
  ]
  edge [
    source 204
    target 224
  ]
  edge [
    source 204
    target 228
  ]
  edge [
    source 204
    target 299
  ]
  edge [
    source 205
    target 222
  ]
  edge [
    source 206
    target 258
  ]
  edge [
    source 207
    target 219
  ]
  edge [
    source 207
    target 229
  ]
  edge [
    source 207
    target 241
  ]
  edge [
    source 207
    target 251
  ]
  edge [
    source 207
    target 271
  ]
  edge [
    source 207
    target 297
  ]
  edge [
    source 208
    target 212
  ]
  edge [
    source 208
    target 260
  ]
  edge [
    source 208
    target 285
  ]
  edge [
    source 209
    target 233
  ]
  edge [
    source 209
    target 246
  ]
  edge [
    source 209
    target 271
  ]
  edge [
    source 210
    target 241
  ]
  edge [
    source 210
    target 242
  ]
  edge [
    source 210
    target 261
  ]
  edge [
    source 210
    target 264
  ]
  edge [
    source 211
    target 234
  ]
  edge [
    source 211
    target 271
  ]
  edge [
    source 211
    target 275
  ]
  edge [
    source 211
    target 282
  ]
  edge [
    source 211
    target 289
  ]
  edge [
    source 211
    target 292
  ]
  edge [
    source 212
    target 237
  ]
  edge [
    source 212
    target 276
  ]
  edge [
    source 212
    target 277
  ]
  edge [
    source 212
    target 282
  ]
  edge [
    source 212
    target 293
  ]
  edge [
    source 213
    target 276
  ]
  edge [
    source 214
    target 277
  ]
  edge [
    source 214
    target 287
  ]
  edge [
    source 215
    target 227
  ]
  edge [
    source 215
    target 231
  ]
  edge [
    source 215
    target 269
  ]
  edge [
    source 216
    target 235
  ]
  edge [
    source 216
    target 281
  ]
  edge [
    source 217
    target 243
  ]
  edge [
    source 217
    target 248
  ]
  edge [
    source 217
    target 279
  ]
  edge [
    source 218
    target 240
  ]
  edge [
    source 218
    target 265
  ]
  edge [
    source 218
    target 295
  ]
  edge [
    source 219
    target 240
  ]
  edge [
    source 219
    target 243
  ]
  edge [
    source 219
    target 256
  ]
  edge [
    source 219
    target 275
  ]
  edge [
    source 219
    target 276
  ]
  edge [
    source 219
    target 293
  ]
  edge [
    source 220
    target 241
  ]
  edge [
    source 220
    target 255
  ]
  edge [
    source 220
    target 274
  ]
  edge [
    source 221
    target 241
  ]
  edge [
    source 221
    target 263
  ]
  edge [
    source 222
    target 246
  ]
  edge [
    source 222
    target 248
  ]
  edge [
    source 222
    target 255
  ]
  edge [
    source 222
    target 285
  ]
  edge [
    source 222
    target 293
  ]
  edge [
    source 223
    target 233
  ]
  edge [
    source 223
    target 264
  ]
  edge [
    source 223
    target 267
  ]
  edge [
    source 224
    target 238
  ]
  edge [
    source 224
    target 278
  ]
  edge [
    source 224
    target 296
  ]
  edge [
    source 225
    target 260
  ]
  edge [
    source 225
    target 268
  ]
  edge [
    source 225
    target 280
  ]
  edge [
    source 226
    target 262
  ]
  edge [
    source 227
    target 230
  ]
  edge [
    source 227
    target 245
  ]
  edge [
    source 228
    target 254
  ]
  edge [
    source 228
    target 261
  ]
  edge [
    source 228
    target 268
  ]
  edge [
    source 229
    target 271
  ]
  edge [
    source 230
    target 251
  ]
  edge [
    source 230
    target 252
  ]
  edge [
    source 230
    target 255
  ]
  edge [
    source 230
    target 294
  ]
  edge [
    source 231
    target 246
  ]
  edge [
    source 231
    target 290
  ]
  edge [
    source 232
    target 245
  ]
  edge [
    source 232
    target 273
  ]
  edge [
    source 232
    target 299
  ]
  edge [
    source 233
    target 268
  ]
  edge [
    source 233
    target 296
  ]
  edge [
    source 234
    target 240
  ]
  edge [
    source 234
    target 261
  ]
  edge [
    source 234
    target 266
  ]
  edge [
    source 235
    target 237
  ]
  edge [
    source 235
    target 241
  ]
  edge [
    source 235
    target 264
  ]
  edge [
    source 235
    target 267
  ]
  edge [
    source 235
    target 275
  ]
  edge [
    source 235
    target 279
  ]
  edge [
    source 236
    target 239
  ]
  edge [
    source 236
    target 284
  ]
  edge [
    source 236
    target 291
  ]
  edge [
    source 237
    target 240
  ]
  edge [
    source 237
    target 273
  ]
  edge [
    source 237
    target 298
  ]
  edge [
    source 238
    target 267
  ]
  edge [
    source 239
    target 269
  ]
  edge [
    source 239
    target 277
  ]
  edge [
    source 239
    target 279
  ]
  edge [
    source 239
    target 296
  ]
  edge [
    source 239
    target 299
  ]
  edge [
    source 242
    target 280
  ]
  edge [
    source 242
    target 281
  ]
  edge [
    source 242
    target 291
  ]
  edge [
    source 243
    target 274
  ]
  edge [
    source 243
    target 282
  ]
  edge [
    source 243
    target 285
  ]
  edge [
    source 243
    target 290
  ]
  edge [
    source 244
    target 253
  ]
  edge [
    source 244
    target 255
  ]
  edge [
    source 244
    target 263
  ]
  edge [
    source 244
    target 283
  ]
  edge [
    source 245
    target 290
  ]
  edge [
    source 245
    target 295
  ]
  edge [
    source 246
    target 253
  ]
  edge [
    source 246
    target 261
  ]
  edge [
    source 246
    target 264
  ]
  edge [
    source 246
    target 265
  ]
  edge [
    source 247
    target 286
  ]
  edge [
    source 248
    target 257
  ]
  edge [
    source 248
    target 260
  ]
  edge [
    source 249
    target 265
  ]
  edge [
    source 249
    target 266
  ]
  edge [
    source 249
    target 283
  ]
  edge [
    source 249
    target 291
  ]
  edge [
    source 250
    target 292
  ]
  edge [
    source 251
    target 272
  ]
  edge [
    source 252
    target 258
  ]
  edge [
    source 252
    target 286
  ]
  edge [
    source 253
    target 254
  ]
  edge [
    source 253
    target 277
  ]
  edge [
    source 253
    target 291
  ]
  edge [
    source 255
    target 261
  ]
  edge [
    source 255
    target 274
  ]
  edge [
    source 255
    target 290
  ]
  edge [
    source 256
    target 290
  ]
  edge [
    source 258
    target 260
  ]
  edge [
    source 258
    target 262
  ]
  edge [
    source 258
    target 294
  ]
  edge [
    source 259
    target 278
  ]
  edge [
    source 259
    target 293
  ]
  edge [
    source 260
    target 295
  ]
  edge [
    source 261
    target 269
  ]
  edge [
    source 261
    target 270
  ]
  edge [
    source 261
    target 272
  ]
  edge [
    source 261
    target 276
  ]
  edge [
    source 261
    target 286
  ]
  edge [
    source 262
    target 298
  ]
  edge [
    source 263
    target 270
  ]
  edge [
    source 263
    target 288
  ]
  edge [
    source 264
    target 294
  ]
  edge [
    source 265
    target 268
  ]
  edge [
    source 265
    target 275
  ]
  edge [
    source 265
    target 279
  ]
  edge [
    source 266
    target 299
  ]
  edge [
    source 267
    target 278
  ]
  edge [
    source 267
    target 291
  ]
  edge [
    source 269
    target 270
  ]
  edge [
    source 269
    target 280
  ]
  edge [
    source 269
    target 285
  ]
  edge [
    source 271
    target 282
  ]
  edge [
    source 272
    target 284
  ]
  edge [
    source 273
    target 284
  ]
  edge [
    source 276
    target 283
  ]
  edge [
    source 276
    target 285
  ]
  edge [
    source 280
    target 281
  ]
  edge [
    source 281
    target 282
  ]
  edge [
    source 282
    target 290
  ]
  edge [
    source 284
    target 289
  ]
  edge [
    source 284
    target 293
  ]
  edge [
    source 284
    target 296
  ]
  edge [
    source 284
    target 298
  ]
  edge [
    source 285
    target 295
  ]
  edge [
    source 287
    target 290
  ]
  edge [
    source 287
    target 291
  ]
  edge [
    source 288
    target 294
  ]
]
